/**
 * `panicmode replay --filter NAME [--mode M]` through the real CLI for every shipped
 * service filter: over the filter's own annotated samples, in every mode, the failures
 * per address are exactly what the annotations say (the CLI and the sample test cannot
 * disagree); and with `--config`, the config's log_failures monitor for that filter is
 * the rule (its name, threshold, mode), its incidents typed log_failures.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadFilterDefinition, shippedFiltersDir } from '../../src/auth/filters/load-filter.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = join(root, 'bin', 'panicmode.js');
const run = (...args: string[]) => spawnSync(process.execPath, [bin, 'replay', ...args], { encoding: 'utf8', cwd: root, env: { ...process.env, PANICMODE_CONFIG: '' } });

interface Expectation {
  modes?: string[];
  match?: false;
  host?: string;
  count?: number;
}

/** Failures per address the samples' annotations expect in `mode`. */
const expectedFailures = (name: string, mode: string): Record<string, number> => {
  const out: Record<string, number> = {};
  let pending: Expectation[] = [];
  for (const line of readFileSync(join(shippedFiltersDir, `${name}.samples.log`), 'utf8').split('\n')) {
    if (line.startsWith('# expect: ')) pending.push(JSON.parse(line.slice(10)));
    else if (line !== '' && !line.startsWith('#')) {
      const e = pending.find((x) => !x.modes || x.modes.includes(mode));
      if (e && e.match !== false && e.host) out[e.host] = (out[e.host] ?? 0) + (e.count ?? 1);
      pending = [];
    }
  }
  return out;
};

const sorted = (o: Record<string, number>) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));

let dir: string;
before(() => (dir = mkdtempSync(join(tmpdir(), 'panicmode-replay-svc-'))));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('panicmode replay --filter for every shipped service filter', () => {
  for (const name of ['nginx-http-auth', 'postfix', 'dovecot']) {
    const def = loadFilterDefinition(name);
    for (const mode of def.modes) {
      test(`${name} --mode ${mode}: failures per address as the samples annotate them`, () => {
        const r = run('--log', join(shippedFiltersDir, `${name}.samples.log`), '--filter', name, '--mode', mode, '--json');
        assert.equal(r.status, 0, r.stderr);
        const out = JSON.parse(r.stdout);
        assert.deepEqual(Object.keys(out), ['lines', 'matched', 'failures_by_ip', 'incidents', 'by_pattern']);
        const expected = expectedFailures(name, mode);
        assert.ok(Object.keys(expected).length > 0, 'the samples expect failures in every mode');
        assert.deepEqual(sorted(out.failures_by_ip), sorted(expected));
      });
    }
  }

  test('--config: the log_failures monitor reading with the filter is the rule, in its mode', () => {
    // SASL failures from one address, 1 s apart (Postfix's syslog form)
    const log = join(dir, 'mail.log');
    const lines = Array.from(
      { length: 5 },
      (_, i) => `2026-11-21T10:00:0${i}+00:00 mx1 postfix/submission/smtpd[${300 + i}]: warning: unknown[203.0.113.66]: SASL LOGIN authentication failed: UGFzc3dvcmQ6`,
    );
    writeFileSync(log, lines.join('\n') + '\n');
    const config = join(dir, 'config.yaml');
    writeFileSync(
      config,
      `monitors:
  - name: smtp auth
    type: log_failures
    filter: postfix
    mode: auth
    paths: [/var/log/mail.log]
    threshold: 3
    window: 1m
    actions: [block_ip, alert_warning]
  - name: ssh
    type: auth_failures
    threshold: 1
    actions: [block_ip]
`,
    );
    const r = run('--log', log, '--filter', 'postfix', '--config', config, '--json');
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.deepEqual(out.by_pattern, { 'sasl-failed': 5 });
    assert.equal(out.incidents.length, 1, 'the 4th failure fires; the address is then banned');
    const [inc] = out.incidents;
    assert.equal(inc.name, 'smtp auth');
    assert.equal(inc.metadata.monitorType, 'log_failures');
    assert.match(inc.description, /^4 postfix failures from 203\.0\.113\.66 within 60s/);
    // without the config: postfix's default mode (more) does not count SASL failures
    const plain = JSON.parse(run('--log', log, '--filter', 'postfix', '--json').stdout);
    assert.equal(plain.matched, 0);
  });
});
