/**
 * A jail for any service, end to end: the real agent (child process) follows a temp log
 * of a made-up service ("vaultd") through a filter file the user wrote, counts its
 * failures per address and blocks the attacker through the `script` firewall backend
 * (recording scripts); the address the client forged in its user name, a private
 * address and another program's lines are never blocked. A broken filter file stops
 * the agent before it starts (exit 2), naming the monitor and the problem.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { bin, startAgent, storageYaml, waitFor, type AgentProcess } from './agent-process.js';
import { recordingScripts } from '../firewall/recording-scripts.js';

/** The user's own filter for vaultd, in the shipped filters' format. */
const vaultdFilter = `name: vaultd
description: vaultd token logins (a made-up service)
programs: [vaultd]
patterns:
  - id: bad-token
    kind: bad_token
    # the user name is the client's text: lazy, and the line ends right after vaultd's own words
    regex: 'login refused for "<USER>" from <HOST> \\(bad token\\)$'
  - id: unknown-user
    kind: invalid_user
    regex: 'no such account "<USER>" from <HOST>$'
`;

const refused = (ip: string, user: string, n: number, program = 'vaultd'): string =>
  Array.from({ length: n }, (_, i) => `2026-11-21T10:00:0${i}Z vault-1 ${program}[77]: login refused for "${user}" from ${ip} (bad token)\n`).join('');

const config = (dir: string, filter: string, fw: { block: string; unblock: string }) => `performance:
  check_interval: 1s
monitors:
  - name: vaultd_jail
    type: log_failures
    filter: ${filter}
    paths: [${join(dir, 'vaultd.log')}]
    threshold: 3
    window: 60s
    actions: [block_ip, alert_critical]
anomaly:
  enabled: false
alerts:
  critical:
    - channel: console
${storageYaml(dir)}firewall:
  ctl_socket: ${join(dir, 'ctl.sock')}
  backend: script
  block_script: ${fw.block}
  unblock_script: ${fw.unblock}
`;

test('a user-written filter for a made-up service blocks the attacker through the running agent', { timeout: 90_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pm-jail-e2e-'));
  const fw = recordingScripts();
  let agent: AgentProcess | undefined;
  t.after(async () => {
    await agent?.stop();
    fw.remove();
    rmSync(dir, { recursive: true, force: true });
  });
  const filter = join(dir, 'vaultd.yaml');
  writeFileSync(filter, vaultdFilter);
  writeFileSync(join(dir, 'vaultd.log'), '2026-11-21T09:59:59Z vault-1 vaultd[77]: listening on :8200\n');
  const cfg = join(dir, 'config.yaml');
  writeFileSync(cfg, config(dir, filter, fw));
  agent = startAgent(cfg, { ...process.env, PANICMODE_STATE_DIR: dir, PANICMODE_BLOCK_IP_SCRIPT: '', PANICMODE_UNBLOCK_IP_SCRIPT: '' });
  await waitFor(() => /vaultd_jail: following \S*vaultd\.log from/.test(agent!.output()), 20_000, 'the agent to follow vaultd.log', agent.output);

  appendFileSync(
    join(dir, 'vaultd.log'),
    // the attacker, who also writes another address into the user name
    refused('203.0.113.50', 'x" from 6.6.6.6 (bad token)', 4) +
      // a private address (never blocked) and another program writing vaultd's words
      refused('10.0.0.5', 'ops', 4) +
      refused('192.0.2.99', 'bob', 6, 'logger'),
  );
  await waitFor(() => fw.calls().some((c) => c === 'block 1 203.0.113.50'), 15_000, 'the block script for 203.0.113.50', agent.output);
  await waitFor(() => /not blocking 10\.0\.0\.5/.test(agent!.output()), 5_000, 'the private address skipped', agent.output);
  // (alerts of one rule are rate limited: the first incident's alert is the one printed)
  await waitFor(() => /CRITICAL.*vaultd_jail: \d+ vaultd failures from /.test(agent!.output()), 10_000, 'the alert', agent.output);
  assert.deepEqual(fw.calls(), ['block 1 203.0.113.50']);
});

test('a broken user filter file: exit 2 before anything starts, naming the monitor and the problem', { timeout: 30_000 }, (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pm-jail-bad-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const filter = join(dir, 'vaultd.yaml');
  const cfg = join(dir, 'config.yaml');
  writeFileSync(cfg, config(dir, filter, { block: '/bin/true', unblock: '/bin/true' }));
  const cases: [string, string, RegExp][] = [
    ['a misspelt key', vaultdFilter.replace('kind: invalid_user', 'knd: invalid_user'), /monitors\[0\]\.filter "\/[^"]*vaultd\.yaml": patterns\[1\]\.knd: unknown key/],
    ['a broken regex', vaultdFilter.replace('\\(bad token\\)$', '(bad token$'), /monitors\[0\]\.filter "\/[^"]*vaultd\.yaml": patterns\[0\] \(bad-token\)\.regex: not a valid regex/],
    ['no file', '', /monitors\[0\]\.filter "\/[^"]*vaultd\.yaml": no such filter file/],
  ];
  for (const [what, text, expected] of cases) {
    rmSync(filter, { force: true });
    if (text) writeFileSync(filter, text);
    for (const args of [['check-config', cfg], ['run', '--config', cfg]]) {
      const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, PANICMODE_STATE_DIR: dir }, timeout: 20_000 });
      assert.equal(r.status, 2, `${what}, ${args[0]}: ${r.stdout}${r.stderr}`);
      assert.match(r.stdout + r.stderr, expected, `${what}, ${args[0]}`);
    }
  }
  assert.equal(existsSync(join(dir, 'incidents.db')), false, 'nothing started');
});
