/**
 * `panicmode test`, as a user runs it: the shipped packs pass (exit 0), a changed rule
 * fails with a diff of expected vs actual events at their virtual times (exit 1), a
 * malformed test file exits 2 naming the place of each problem.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot, runPanicmode } from './run-panicmode.js';

const root = repoRoot;
const dir = mkdtempSync(join(tmpdir(), 'pm-cli-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const run = (args: string[]) => runPanicmode(args, { stateDir: join(dir, 'state'), timeoutMs: 60_000 });

test('panicmode test rules/: every shipped pack test passes (exit 0)', async () => {
  const r = await run(['test', 'rules/']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^PASS rules\/host-pressure\.test\.yaml: CPU saturated/m);
  assert.match(r.stdout, /^PASS rules\/ssh\.test\.yaml: six failed passwords/m);
  assert.doesNotMatch(r.stdout, /^FAIL/m);
  assert.match(r.stdout, /(\d+) tests: \1 passed, 0 failed\n$/);
});

test('a changed rule fails its pack test with a diff of events and their virtual times (exit 1)', async () => {
  const pack = join(dir, 'changed');
  cpSync(join(root, 'rules'), pack, { recursive: true, filter: (src) => !src.includes('filters') });
  // CPU saturated after 20 s instead of 30 s; SSH brute force at 4 failures instead of 5
  const hp = join(pack, 'host-pressure.yaml');
  writeFileSync(hp, readFileSync(hp, 'utf8').replace('threshold: 90\n    duration: 30s', 'threshold: 90\n    duration: 20s'));
  const ssh = join(pack, 'ssh.yaml');
  writeFileSync(ssh, readFileSync(ssh, 'utf8').replace('threshold: 5\n', 'threshold: 4\n'));
  const r = await run(['test', pack]);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  const cpu = r.stdout.slice(r.stdout.indexOf('FAIL'), r.stdout.indexOf('PASS', r.stdout.indexOf('FAIL')));
  assert.match(cpu, /host-pressure\.test\.yaml: CPU saturated fires after 30 s/);
  assert.match(cpu, /incidents \(- expected, \+ actual\):\n\s+\+ at 20s\s+firing {2}critical {2}CPU saturated\n\s+- at 30s\s+firing {2}critical {2}CPU saturated\n\s+ {2}at 55s/);
  assert.match(cpu, /alerts \(- expected, \+ actual\):\n\s+\+ at 20s\s+critical {2}firing {2}CPU saturated {2}×1 {2}→ console/);
  assert.match(r.stdout, /\+ at 14s\s+203\.0\.113\.7 {2}until 1h14s/);
  assert.match(r.stdout, /- at 15s\s+203\.0\.113\.7 {2}until 1h15s/);
  assert.match(r.stdout, /FAIL \S+ssh\.test\.yaml: five failures[^\n]*\n\s+incidents[^\n]*\n\s+\+ at 4s\s+firing {2}critical {2}SSH brute force/);
  assert.match(r.stdout, /\d+ tests: \d+ passed, [1-9]\d* failed\n$/);
});

test('a malformed test file exits 2 naming each problem by its place', async () => {
  const file = join(dir, 'bad.test.yaml');
  writeFileSync(
    file,
    `config: ${join(root, 'rules', 'host-pressure.yaml')}
interval: 5s
tests:
  - name: typo in a metric path, a bad series, a bad time
    metrics:
      cpu.usagePercnt: "50 95x7"
      memory.usagePercent: "30 abc"
      disk.mounts[/].usage: "1"
    expect:
      incidents: [ { at: 35, name: CPU saturated } ]
`,
  );
  const r = await run(['test', file]);
  assert.equal(r.code, 2, r.stdout + r.stderr);
  assert.match(r.stderr, /tests\[0\]\.metrics\.cpu\.usagePercnt: cpu has no numeric field usagePercnt \(one of usagePercent, iowaitPercent, stealPercent\)/);
  assert.match(r.stderr, /tests\[0\]\.metrics\.memory\.usagePercent: "abc" is not a series item/);
  assert.match(r.stderr, /tests\[0\]\.metrics\.disk\.mounts\[\/\]\.usage: disk\.mounts\[\/\] has no field usage/);
  assert.match(r.stderr, /tests\[0\]\.expect\.incidents\[0\]\.at: expected a duration like "5s", got a bare number 35/);

  const empty = join(dir, 'empty.test.yaml');
  writeFileSync(empty, `config: ${join(root, 'rules', 'ssh.yaml')}\ntests:\n  - name: nothing fed\n    expect: {}\n`);
  const r1 = await run(['test', empty]);
  assert.equal(r1.code, 2);
  assert.match(r1.stderr, /tests\[0\]: no inputs \(give metrics, processes, logs, services\)/);

  const services = join(dir, 'services.test.yaml');
  writeFileSync(
    services,
    `config: { processes: [ { name: web, start_command: web } ] }
tests:
  - name: a service the config does not supervise, no duration
    services: { api: { lives: 20s }, web: { lives: [20s, forever] } }
    expect: {}
  - name: a bad lifetime
    services: { web: { lives: soon } }
    duration: 1m
    expect: {}
`,
  );
  const rs = await run(['test', services]);
  assert.equal(rs.code, 2, rs.stdout + rs.stderr);
  assert.match(rs.stderr, /tests\[1\]\.services\.web\.lives: expected a duration like "5s", "1m" or "1h30m", got "soon"/);
  writeFileSync(services, readFileSync(services, 'utf8').replace('lives: soon', 'lives: forever'));
  const rs2 = await run(['test', services]);
  assert.equal(rs2.code, 2, rs2.stdout + rs2.stderr);
  assert.match(rs2.stderr, /tests\[0\]\.services\.api: no enabled service of that name under the config's processes:/);
  assert.match(rs2.stderr, /tests\[0\]\.duration: services need a duration/);
  assert.doesNotMatch(rs2.stderr, /tests\[1\]/);

  const noConfig = join(dir, 'noconfig.test.yaml');
  writeFileSync(noConfig, 'config: missing.yaml\ntests: []\n');
  const r2 = await run(['test', noConfig]);
  assert.equal(r2.code, 2);
  assert.match(r2.stderr, /config \(missing\.yaml\): no such file/);

  const r3 = await run(['test', join(dir, 'nowhere')]);
  assert.equal(r3.code, 2);
  assert.match(r3.stderr, /nowhere: no such file or directory/);
});

test('panicmode test --help', async () => {
  const r = await run(['test', '--help']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^Usage: panicmode test \[FILE\|DIR \.\.\.\]/);
  const top = await run(['--help']);
  assert.match(top.stdout, /^ {2}test {11}run rule tests/m);
});
