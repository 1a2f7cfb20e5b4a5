/**
 * `log_failures` monitors at config load: a shipped filter by name or a user's filter
 * file by absolute path, its mode checked against the filter's modes, something to
 * read (paths or journal_match); every problem names the monitor's place, and a broken
 * filter file names its own problem too. `auth_failures` modes are checked against the
 * sshd filter the same way.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeConfig, parseYaml } from '../../src/config/load.js';
import { monitorFilter } from '../../src/auth/filters/monitor-filter.js';

const problems = (monitor: string): string[] => decodeConfig(parseYaml(`monitors:\n  - name: jail\n    threshold: 5\n    actions: [block_ip]\n${monitor}`).value).problems;

let dir: string;
before(() => (dir = mkdtempSync(join(tmpdir(), 'panicmode-jail-config-'))));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('log_failures monitor config', () => {
  test('a shipped filter by name, with paths: no problem; the compiled filter is that filter in its mode', () => {
    const yaml = `    type: log_failures\n    filter: postfix\n    mode: auth\n    paths: [/var/log/mail.log]\n`;
    const r = decodeConfig(parseYaml(`monitors:\n  - name: jail\n    threshold: 5\n    actions: [block_ip]\n${yaml}`).value);
    assert.deepEqual(r.problems, []);
    const f = monitorFilter(r.config!.monitors[0]!);
    assert.equal(f.definition.name, 'postfix');
    assert.equal(f.mode, 'auth');
    // no mode: the filter's default
    assert.equal(monitorFilter({ type: 'log_failures', filter: 'postfix', mode: undefined }).mode, 'more');
  });

  test('journal_match instead of paths', () => {
    assert.deepEqual(problems(`    type: log_failures\n    filter: nginx-http-auth\n    journal_match: [_SYSTEMD_UNIT=nginx.service]\n`), []);
    assert.deepEqual(problems(`    type: log_failures\n    filter: nginx-http-auth\n    journal_match: [nginx]\n`), [
      'monitors[0].journal_match[0]: expected FIELD=value (e.g. _SYSTEMD_UNIT=nginx.service), got "nginx"',
    ]);
  });

  test('missing filter, nothing to read, both sources, a relative path', () => {
    assert.deepEqual(problems(`    type: log_failures\n`), [
      'monitors[0].filter: a log_failures monitor needs a filter (a shipped one: nginx-http-auth, postfix, dovecot, sshd; or the absolute path of a filter file)',
      'monitors[0]: a log_failures monitor needs paths (log files to follow) or journal_match',
    ]);
    assert.deepEqual(problems(`    type: log_failures\n    filter: dovecot\n    paths: [/var/log/mail.log]\n    journal_match: [_COMM=dovecot]\n`), [
      'monitors[0]: give paths or journal_match, not both',
    ]);
    assert.deepEqual(problems(`    type: log_failures\n    filter: filters/mine.yaml\n    paths: [/var/log/x.log]\n`), [
      'monitors[0].filter: "filters/mine.yaml": a filter file\'s path must be absolute (the agent\'s working directory is not the config\'s)',
    ]);
  });

  test('an unknown shipped filter, a mode the filter does not have', () => {
    const unknown = problems(`    type: log_failures\n    filter: nginx-auth\n    paths: [/var/log/nginx/error.log]\n`);
    assert.equal(unknown.length, 1);
    assert.match(unknown[0]!, /^monitors\[0\]\.filter "nginx-auth" \(\S*rules\/filters\/nginx-auth\.yaml\): no such filter file/);
    assert.deepEqual(problems(`    type: log_failures\n    filter: postfix\n    mode: paranoid\n    paths: [/var/log/mail.log]\n`), [
      'monitors[0].mode: "paranoid" is not a mode of filter postfix (more, normal, rbl, auth, errors, ddos, extra, aggressive)',
    ]);
  });

  test('a user filter file with problems: each named under the monitor', () => {
    const file = join(dir, 'svc.yaml');
    writeFileSync(file, `name: svc\nformat: csv\npatterns:\n  - id: a\n    kind: k\n    regex: 'x <HOST>'\n    effct: failure\n`);
    assert.deepEqual(problems(`    type: log_failures\n    filter: ${file}\n    paths: [/var/log/svc.log]\n`), [
      `monitors[0].filter "${file}": format: expected one of syslog, plain, got "csv"`,
      `monitors[0].filter "${file}": patterns[0].effct: unknown key (allowed: id, kind, regex, effect, forget, description)`,
    ]);
  });

  test('auth_failures: its mode is checked against the sshd filter; filter keys belong to log_failures', () => {
    assert.deepEqual(problems(`    type: auth_failures\n    mode: aggressive\n`), []);
    assert.deepEqual(problems(`    type: auth_failures\n    mode: turbo\n`), ['monitors[0].mode: "turbo" is not a mode of filter sshd (normal, ddos, extra, aggressive)']);
    assert.deepEqual(problems(`    type: auth_failures\n    filter: postfix\n`), [
      'monitors[0].filter: auth_failures monitors use the sshd filter; for another service use type: log_failures',
    ]);
    assert.deepEqual(problems(`    type: cpu_usage\n    mode: normal\n`), [
      'monitors[0].mode: only auth_failures and log_failures monitors have a filter mode (this one is cpu_usage)',
    ]);
  });
});

describe('user filter files', () => {
  test('an edited filter file is read again at the next load (a config reload picks it up)', () => {
    const file = join(dir, 'edited.yaml');
    writeFileSync(file, `name: edited\npatterns:\n  - id: one\n    kind: k\n    regex: 'bad login from <HOST>$'\n`);
    const m = { type: 'log_failures' as const, filter: file, mode: undefined };
    assert.deepEqual(monitorFilter(m).patterns.map((p) => p.id), ['one']);
    assert.equal(monitorFilter(m), monitorFilter(m), 'unchanged: the same compiled filter');
    writeFileSync(file, `name: edited\npatterns:\n  - id: two\n    kind: k\n    regex: 'refused login from <HOST>$'\n`);
    assert.deepEqual(monitorFilter(m).patterns.map((p) => p.id), ['two']);
  });
});
