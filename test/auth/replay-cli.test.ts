/**
 * `panicmode replay` through the real CLI (a child process), on a log whose bursts are
 * known: default rule, a config's rules, the exact JSON shape, and the errors a user
 * can cause.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { replayLog } from '../../src/auth/replay-log.js';
import { defaultBruteForceRule } from '../../src/auth/brute-force-rule.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = join(root, 'bin', 'panicmode.js');
let dir: string;
let log: string;

const T0 = Date.parse('2026-11-21T10:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString().replace('Z', '+00:00');
const l = (ms: number, pid: number, msg: string) => `${iso(ms)} web1 sshd[${pid}]: ${msg}`;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'panicmode-replay-'));
  log = join(dir, 'auth.log');
  const lines: string[] = [];
  // A: 7 failures 2 s apart; B: 5 failures 1 s apart; C: 6 failures 100 s apart
  for (let i = 0; i < 7; i++) lines.push(l(T0 + i * 2000, 100 + i, `Failed password for invalid user u${i} from 203.0.113.7 port ${4000 + i} ssh2`));
  lines.push(l(T0 + 30_000, 200, 'Accepted publickey for alice from 192.0.2.50 port 5000 ssh2: ED25519 SHA256:x'));
  for (let i = 0; i < 5; i++) lines.push(l(T0 + 60_000 + i * 1000, 300 + i, `Failed password for root from 198.51.100.4 port ${5000 + i} ssh2`));
  lines.push(`${iso(T0 + 70_000)} web1 CRON[9]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)`);
  for (let i = 0; i < 6; i++) lines.push(l(T0 + 120_000 + i * 100_000, 400 + i, `Invalid user admin from 2001:db8::c port ${6000 + i}`));
  lines.push('garbage without a newline at the end');
  writeFileSync(log, lines.join('\n'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const run = (...args: string[]) => spawnSync(process.execPath, [bin, 'replay', ...args], { encoding: 'utf8', cwd: root, env: { ...process.env, PANICMODE_CONFIG: '' } });

describe('panicmode replay', () => {
  test('--json with the default rule: exact shape, counts, one incident and its ban', () => {
    const r = run('--log', log, '--json');
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.deepEqual(Object.keys(out), ['lines', 'matched', 'failures_by_ip', 'incidents', 'by_pattern']);
    assert.equal(out.lines, 21);
    assert.equal(out.matched, 18);
    assert.deepEqual(out.failures_by_ip, { '203.0.113.7': 7, '2001:db8::c': 6, '198.51.100.4': 5 });
    assert.equal(out.incidents.length, 1, 'A once (then banned); B at the threshold; C spread out');
    const [inc] = out.incidents;
    assert.equal(inc.ts, T0 + 10_000, 'at the 6th failure, on the log\'s own clock');
    assert.deepEqual(inc.metadata.ips, ['203.0.113.7']);
    assert.equal(inc.metadata.monitorType, 'auth_failures');
    assert.equal(inc.metadata.currentValue, 6);
    assert.deepEqual(inc.actions, ['block_ip', 'alert_critical']);
    assert.match(inc.metadata.details, /203\.0\.113\.7/);
    assert.deepEqual(out.by_pattern, { 'failed-auth': 5, 'failed-invalid-user': 7, 'invalid-user': 6, accepted: 1 });
  });

  test('human output names lines, matches, per-IP failures, incidents and bans', () => {
    const r = run('--log', log);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /Lines read: +21/);
    assert.match(r.stdout, /Lines matched: +18/);
    assert.match(r.stdout, /203\.0\.113\.7 +7/);
    assert.match(r.stdout, /Incidents \(1\)/);
    assert.match(r.stdout, /Bans \(1\):\n.*203\.0\.113\.7/);
  });

  test('--config: the config\'s auth_failures monitors are the rules', () => {
    const config = join(dir, 'config.yaml');
    writeFileSync(
      config,
      `monitors:
  - name: fast ssh
    type: auth_failures
    threshold: 2
    window: 10s
    actions: [alert_warning]
  - name: disabled one
    type: auth_failures
    threshold: 0
    enabled: false
    actions: [block_ip]
  - name: cpu
    type: cpu_usage
    threshold: 90
    actions: [alert_warning]
`,
    );
    const r = run('--log', log, '--config', config, '--json');
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    // A: 0,2,4 s → fires at 4 s; 6,8,10 → fires at 10 s; B: 60,61,62 → fires at 62 s
    assert.deepEqual(
      out.incidents.map((i: { name: string; ts: number; metadata: { ips: string[] }; severity: string }) => [i.name, i.ts - T0, i.metadata.ips[0], i.severity]),
      [
        ['fast ssh', 4000, '203.0.113.7', 'warning'],
        ['fast ssh', 10_000, '203.0.113.7', 'warning'],
        ['fast ssh', 62_000, '198.51.100.4', 'warning'],
      ],
    );
  });

  test('IPv6 counts per firewall.ipv6_prefix network, as the agent counts (offender-key.ts)', () => {
    // one attacker rotating through its /64: 6 addresses, one failure each, within 10 s
    const v6 = join(dir, 'v6.log');
    const lines = Array.from({ length: 6 }, (_, i) => l(T0 + i * 2000, 700 + i, `Failed password for root from 2001:db8:7:1::${(i + 1).toString(16)} port ${7000 + i} ssh2`));
    writeFileSync(v6, lines.join('\n') + '\n');
    const r = run('--log', v6, '--json');
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(Object.keys(out.failures_by_ip).length, 6, 'failures are still listed per address');
    assert.equal(out.incidents.length, 1, 'the default ipv6_prefix (64): one offender');
    const [inc] = out.incidents;
    assert.equal(inc.key, 'auth_failures|SSH brute force|2001:db8:7:1::/64');
    assert.deepEqual(inc.metadata.ips, lines.map((_, i) => `2001:db8:7:1::${(i + 1).toString(16)}`), 'block_ip gets every address seen');
    assert.equal(inc.ts, T0 + 10_000);
    // the config's firewall.ipv6_prefix: 128 counts per address: no address exceeds the threshold
    const config = join(dir, 'v6-config.yaml');
    writeFileSync(config, 'firewall:\n  ipv6_prefix: 128\nmonitors:\n  - name: SSH brute force\n    type: auth_failures\n    threshold: 5\n    window: 60s\n    actions: [block_ip]\n');
    const per = run('--log', v6, '--config', config, '--json');
    assert.equal(per.status, 0, per.stderr);
    assert.equal(JSON.parse(per.stdout).incidents.length, 0);
  });

  test('in-process replay agrees with the CLI', async () => {
    const r = await replayLog(log, [defaultBruteForceRule]);
    assert.equal(r.lines, 21);
    assert.equal(r.matched, 18);
    assert.equal(r.incidents.length, 1);
  });

  test('a chunk boundary inside a line changes nothing', async () => {
    const small = await replayLog(log, [defaultBruteForceRule], { chunkBytes: 64 });
    const big = await replayLog(log, [defaultBruteForceRule]);
    assert.deepEqual(small, big);
  });

  test("the config's auth_failures mode is replay's default mode", () => {
    const closes = join(dir, 'closes-config.log');
    writeFileSync(closes, Array.from({ length: 6 }, (_, i) => l(T0 + i * 1000, 750 + i, `Connection closed by 198.51.100.12 port ${7500 + i} [preauth]`)).join('\n') + '\n');
    const config = join(dir, 'ddos.yaml');
    writeFileSync(config, 'monitors:\n  - name: ssh noise\n    type: auth_failures\n    threshold: 5\n    mode: ddos\n    actions: [alert_warning]\n');
    const out = JSON.parse(run('--log', closes, '--config', config, '--json').stdout);
    assert.deepEqual(out.failures_by_ip, { '198.51.100.12': 6 });
    assert.equal(out.incidents.length, 1);
  });

  test('--mode ddos counts what normal mode does not (closes before authentication)', () => {
    const closes = join(dir, 'closes.log');
    writeFileSync(closes, Array.from({ length: 6 }, (_, i) => l(T0 + i * 1000, 700 + i, `Connection closed by 198.51.100.8 port ${7000 + i} [preauth]`)).join('\n') + '\n');
    const normal = JSON.parse(run('--log', closes, '--json').stdout);
    assert.equal(normal.matched, 0);
    assert.deepEqual(normal.by_pattern, { 'closed-preauth': 6 });
    const ddos = run('--log', closes, '--json', '--mode', 'ddos');
    assert.equal(ddos.status, 0, ddos.stderr);
    const out = JSON.parse(ddos.stdout);
    assert.deepEqual(out.failures_by_ip, { '198.51.100.8': 6 });
    assert.deepEqual(out.incidents[0].metadata.ips, ['198.51.100.8']);
  });

  test('never-block list and whitelist: incidents raised, but no ban (the firewall\'s own decision)', () => {
    // issue 7 item 11: replay listed 10.1.2.3 under bans
    const inside = join(dir, 'inside.log');
    const burst = (ip: string, pid: number) => Array.from({ length: 6 }, (_, i) => l(T0 + i * 1000, pid + i, `Failed password for root from ${ip} port ${6000 + i} ssh2`));
    writeFileSync(inside, [...burst('10.1.2.3', 800), ...burst('198.51.100.9', 900), ...burst('203.0.113.77', 1000)].join('\n') + '\n');
    const config = join(dir, 'whitelist.yaml');
    writeFileSync(config, `firewall:\n  whitelist: [203.0.113.0/24]\nmonitors:\n  - name: ssh\n    type: auth_failures\n    threshold: 5\n    window: 60s\n    actions: [block_ip, alert_critical]\n`);
    const r = run('--log', inside, '--config', config, '--json');
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    const byIp = Object.fromEntries(out.incidents.map((i: { metadata: { ips: string[]; details: string }; actions: string[] }) => [i.metadata.ips[0], i]));
    assert.deepEqual(Object.keys(byIp).sort(), ['10.1.2.3', '198.51.100.9', '203.0.113.77']);
    assert.deepEqual(byIp['198.51.100.9'].actions, ['block_ip', 'alert_critical']);
    assert.deepEqual(byIp['10.1.2.3'].actions, ['alert_critical']);
    assert.match(byIp['10.1.2.3'].metadata.details, /not banned: RFC 1918 private address/);
    assert.deepEqual(byIp['203.0.113.77'].actions, ['alert_critical']);
    assert.match(byIp['203.0.113.77'].metadata.details, /not banned: whitelisted \(firewall\.whitelist: 203\.0\.113\.0\/24\)/);
    const human = run('--log', inside, '--config', config);
    assert.match(human.stdout, /Bans \(1\):\n.*198\.51\.100\.9/);
    assert.doesNotMatch(human.stdout.slice(human.stdout.indexOf('Bans (')), /10\.1\.2\.3|203\.0\.113\.77/);
  });

  test('--filter FILE: a user-written filter for a made-up service', () => {
    const filterFile = join(dir, 'acme.yaml');
    writeFileSync(
      filterFile,
      `name: acme\nprograms: [acmed]\npatterns:\n  - id: bad-token\n    kind: bad_token\n    regex: 'rejected token for <USER> from <HOST>$'\n`,
    );
    const acme = join(dir, 'acme.log');
    writeFileSync(
      acme,
      [
        ...Array.from({ length: 6 }, (_, i) => `${iso(T0 + i * 1000)} web1 acmed[77]: rejected token for bob from 198.51.100.10`),
        `${iso(T0 + 7000)} web1 sshd[78]: Failed password for root from 198.51.100.11 port 1 ssh2`,
      ].join('\n') + '\n',
    );
    const r = run('--log', acme, '--filter', filterFile, '--json');
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.deepEqual(out.failures_by_ip, { '198.51.100.10': 6 });
    assert.deepEqual(out.by_pattern, { 'bad-token': 6 });
    assert.equal(out.incidents.length, 1);
    // a broken filter file: exit 2, the place named
    writeFileSync(filterFile, `name: acme\npatterns:\n  - id: x\n    kind: k\n    regex: 'from <HOST> (unclosed'\n`);
    const bad = run('--log', acme, '--filter', filterFile);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /acme\.yaml.*\n.*patterns\[0\] \(x\)\.regex: not a valid regex/);
    const badMode = run('--log', acme, '--mode', 'paranoid');
    assert.equal(badMode.status, 2);
    assert.match(badMode.stderr, /mode: "paranoid" is not a mode of filter sshd/);
  });

  test('user errors: no --log (2), missing file (1), invalid config (2)', () => {
    const noLog = run('--json');
    assert.equal(noLog.status, 2);
    assert.match(noLog.stderr, /--log FILE is required/);
    const missing = run('--log', join(dir, 'nope.log'));
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /nope\.log: no such file/);
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'monitors:\n  - name: x\n    type: auth_failures\n    threshold: high\n');
    const badRun = run('--log', log, '--config', bad);
    assert.equal(badRun.status, 2);
    assert.match(badRun.stderr, /monitors\[0\]\.threshold/);
    writeFileSync(bad, 'monitors:\n  - name: x\n    type: auth_failures\n    threshold: 5\n    mode: paranoid\n');
    const badMode = run('--log', log, '--config', bad);
    assert.equal(badMode.status, 2);
    assert.match(badMode.stderr, /monitors\[0\]\.mode/);
  });
});
