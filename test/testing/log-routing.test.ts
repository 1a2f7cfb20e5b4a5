/**
 * A test's log line reaches the monitors that read its log, as in the agent: `log:`
 * names the file (or `journal`); a line without it is an SSH line for the
 * auth_failures monitors. Before, every line went to every log monitor, so a jail was
 * "proven" by lines from a log it never reads.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runRuleTestFile } from '../../src/testing/index.js';
import { loadRuleTestFile } from '../../src/testing/rule-test-file.js';
import { ConfigError } from '../../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'pm-log-routing-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// Two SSH rules on two different logs, and a jail using the sshd filter on a third:
// the same line text matches all three filters, so only routing tells them apart.
const config = `
config:
  anomaly: { enabled: false }
  monitors:
    - { name: SSH main, type: auth_failures, threshold: 1, window: 60s, actions: [alert_critical] }
    - { name: SSH chroot, type: auth_failures, auth_log: { source: file, path: /srv/chroot/auth.log }, threshold: 1, window: 60s, actions: [alert_critical] }
    - { name: Jail, type: log_failures, filter: sshd, paths: [/var/log/jail.log], threshold: 1, window: 60s, actions: [alert_critical] }
interval: 5s
`;
const line = (ip: string) => `"Jan  1 00:00:00 h sshd[9]: Failed password for root from ${ip} port 22 ssh2"`;
const firing = (name: string) => `{ at: 1s, name: ${name}, status: firing }`;

const run = async (file: string, body: string) => {
  writeFileSync(join(dir, file), config + body);
  return runRuleTestFile(join(dir, file));
};

test('a line naming its log reaches only the monitors reading that log', async () => {
  const results = await run(
    'routed.test.yaml',
    `tests:
  - name: the jail's log
    logs: [ { at: 0s, every: 1s, repeat: 2, log: /var/log/jail.log, line: ${line('203.0.113.7')} } ]
    expect: { incidents: [ ${firing('Jail')} ] }
  - name: the chroot's auth log
    logs: [ { at: 0s, every: 1s, repeat: 2, log: /srv/chroot/auth.log, line: ${line('203.0.113.8')} } ]
    expect: { incidents: [ ${firing('SSH chroot')} ] }
  - name: no log named - the SSH rules, wherever they read; not the jail
    logs: [ { at: 0s, every: 1s, repeat: 2, line: ${line('203.0.113.9')} } ]
    expect: { incidents: [ ${firing('SSH main')}, ${firing('SSH chroot')} ] }
  - name: the standard auth log - the rule reading the default logs only
    logs: [ { at: 0s, every: 1s, repeat: 2, log: /var/log/auth.log, line: ${line('203.0.113.10')} } ]
    expect: { incidents: [ ${firing('SSH main')} ] }
`,
  );
  for (const r of results) assert.ok(r.passed, `${r.name}: ${JSON.stringify(r.kinds)}`);
});

test('a line no monitor reads is a malformed test, naming the place and what the monitors read', async () => {
  writeFileSync(
    join(dir, 'unread.test.yaml'),
    config + `tests:\n  - name: typo\n    logs: [ { at: 0s, log: /var/log/jial.log, line: ${line('203.0.113.7')} } ]\n    expect: { incidents: [] }\n`,
  );
  await assert.rejects(loadRuleTestFile(join(dir, 'unread.test.yaml')), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    assert.match(err.problems.join('\n'), /tests\[0\]\.logs\[0\]\.log: no auth_failures or log_failures monitor reads \/var\/log\/jial\.log \(the monitors read: .*\/var\/log\/jail\.log/);
    return true;
  });
});
