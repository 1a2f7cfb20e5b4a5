import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Subject } from 'rxjs';
import { createHost, type Host } from '../../src/host/host.js';
import { memoryLogger } from '../../src/log/logger.js';
import { createCpuCapper, describeCap } from '../../src/throttle/cpu-capper.js';
import { applyCpuCap, locateCpuLimit, parseCpuMax, quotaFor, restoreCpuCap } from '../../src/throttle/cgroup-cpu-quota.js';
import { spawnBurner, burningPid, measureShare, procState, stoppedFraction, type Burner } from './cpu-burner.js';

const host = createHost();
const V1_CPU = '/sys/fs/cgroup/cpu';
const v1Unavailable = process.getuid?.() !== 0 ? 'needs root to create a cgroup' : existsSync(join(V1_CPU, 'cpu.cfs_quota_us')) ? null : 'no v1 cpu controller here';

const burners: Burner[] = [];
const cgroups: string[] = [];
after(async () => {
  for (const b of burners) await b.kill();
  for (const dir of cgroups) {
    for (let i = 0; i < 50 && existsSync(dir); i++) {
      try {
        rmdirSync(dir);
      } catch {
        await sleep(20); // the killed burner leaves cgroup.procs a moment later
      }
    }
  }
});
const burner = async () => {
  const b = spawnBurner(60);
  burners.push(b);
  return burningPid(b);
};
/** Kills the burners spawned so far (each test ends with its own, so the next measures alone). */
const killBurners = async () => {
  for (const b of burners.splice(0)) await b.kill();
};
/** Periods in which the cgroup hit its quota (v1 cpu.stat). */
const throttled = (dir: string) => Number(/nr_throttled (\d+)/.exec(readFileSync(join(dir, 'cpu.stat'), 'utf8'))![1]);
const testCgroup = () => {
  const dir = join(V1_CPU, `pmtest-${randomBytes(4).toString('hex')}`);
  mkdirSync(dir);
  cgroups.push(dir);
  return dir;
};

test('cpu.max and quotas', () => {
  assert.equal(parseCpuMax('max 100000'), null);
  assert.equal(parseCpuMax('25000 100000\n'), 0.25);
  assert.equal(quotaFor(0.25), 25_000);
  assert.equal(quotaFor(0.0001), 1_000, 'never under the kernel minimum');
});

test('cgroup v2 (a pure-v2 tree as production has it): cpu.max written, a tighter cap kept, the old value restored', async () => {
  const root = mkdtempSync(join(tmpdir(), 'pm-cgroup2-'));
  try {
    writeFileSync(join(root, 'cgroup.controllers'), 'cpuset cpu io memory pids\n');
    writeFileSync(join(root, 'cgroup.procs'), '1\n');
    mkdirSync(join(root, 'app.service'));
    writeFileSync(join(root, 'app.service', 'cpu.max'), 'max 100000\n');
    // The agent's mountinfo (a cgroup2 mount at the temp tree) and the victim's cgroup file.
    const mountinfo = `30 25 0:26 / ${root} rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate\n`;
    const fakeHost = (cgroup: string): Host => ({ ...host, readProcSync: (...parts) => (parts[1] === 'mountinfo' ? mountinfo : parts[1] === 'cgroup' ? cgroup : host.readProcSync(...parts)) });
    const file = await locateCpuLimit(fakeHost('0::/app.service\n'), 4242);
    assert.deepEqual(file, { version: 2, dir: join(root, 'app.service') });
    if (typeof file === 'string') return;
    const cap = await applyCpuCap(file, 0.3);
    assert.equal(readFileSync(join(root, 'app.service', 'cpu.max'), 'utf8'), '30000 100000');
    assert.equal((await applyCpuCap(file, 0.5)).written, false, 'a cgroup capped tighter already is left alone');
    await restoreCpuCap(cap);
    assert.equal(readFileSync(join(root, 'app.service', 'cpu.max'), 'utf8'), 'max 100000');
    assert.match(String(await locateCpuLimit(fakeHost('0::/\n'), 4242)), /root cgroup/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('v1 cpu controller (this host): a burner in a cgroup of its own is capped by cpu.cfs_quota_us, and the cap lifts', { skip: v1Unavailable ?? false }, async (t) => {
  const dir = testCgroup();
  const pid = await burner();
  writeFileSync(join(dir, 'cgroup.procs'), String(pid));
  const capper = createCpuCapper({ host, logger: memoryLogger(), spareNow: () => () => null });
  try {
    const before = await measureShare(pid, 1500);
    const r = await capper.cap(pid, { share: 0.2, durationMs: null, reason: 'cpu hog' });
    assert.equal(r.outcome, 'capped');
    if (r.outcome !== 'capped') return;
    assert.equal(r.cap.method, 'cgroup_v1');
    assert.equal(r.cap.cgroup, dir);
    assert.equal(readFileSync(join(dir, 'cpu.cfs_quota_us'), 'utf8').trim(), '20000');
    assert.match(describeCap(r.cap), /^capped sh \(pid \d+\) at 20% of a CPU by cgroup \/sys\/fs\/cgroup\/cpu\/pmtest-/);
    const throttledBefore = throttled(dir);
    const capped = await measureShare(pid, 2000);
    t.diagnostic(`burner share before ${(before * 100).toFixed(1)} %, capped at 20 %: ${(capped * 100).toFixed(1)} %`);
    assert.ok(capped <= 0.25, `held to about 20 % of a CPU, measured ${capped.toFixed(3)}`);
    // The kernel says it is the quota that holds it back (not a machine busy with other work).
    assert.ok(throttled(dir) > throttledBefore, 'the cgroup was throttled (cpu.stat nr_throttled)');
    assert.ok(capped >= 0.05, `still running, measured ${capped.toFixed(3)}`);
    assert.equal((await capper.cap(pid, { share: 0.2, durationMs: null, reason: 'again' })).outcome, 'already');
  } finally {
    await capper.stop();
    await killBurners();
  }
  assert.equal(readFileSync(join(dir, 'cpu.cfs_quota_us'), 'utf8').trim(), '-1', 'stop lifts the cap: the quota is back as it was');
  assert.deepEqual(capper.list(), []);
});

test('a cgroup that also holds a spared process is not capped as a whole: the victim alone is duty-cycled', { skip: v1Unavailable ?? false }, async () => {
  const dir = testCgroup();
  const victim = await burner();
  const bystander = await burner();
  writeFileSync(join(dir, 'cgroup.procs'), String(victim));
  writeFileSync(join(dir, 'cgroup.procs'), String(bystander));
  const capper = createCpuCapper({ host, logger: memoryLogger(), spareNow: () => (p) => (p === bystander ? 'sshd' : null) });
  try {
    const r = await capper.cap(victim, { share: 0.3, durationMs: null, reason: 'cpu hog' });
    assert.equal(r.outcome === 'capped' && r.cap.method, 'duty_cycle');
    assert.equal(readFileSync(join(dir, 'cpu.cfs_quota_us'), 'utf8').trim(), '-1', 'the cgroup is untouched');
    const spared = await capper.cap(bystander, { share: 0.3, durationMs: null, reason: 'cpu hog' });
    assert.deepEqual(spared, { outcome: 'skipped', reason: `pid ${bystander} is spared: sshd` });
    assert.deepEqual(await capper.cap(host.pid, { share: 0.3, durationMs: null, reason: 'x' }), { outcome: 'skipped', reason: `pid ${host.pid} is PanicMode itself` });
  } finally {
    await capper.stop();
    await killBurners();
  }
});

test('duty-cycle fallback (a burner in the root cgroup): held near the target share, continued when lifted', async (t) => {
  const pid = await burner();
  const capper = createCpuCapper({ host, logger: memoryLogger(), spareNow: () => () => null });
  const resolved = new Subject<void>();
  try {
    const before = await measureShare(pid, 1500);
    const r = await capper.cap(pid, { share: 0.25, durationMs: null, until$: resolved, reason: 'cpu hog' });
    assert.equal(r.outcome === 'capped' && r.cap.method, 'duty_cycle');
    const capped = await measureShare(pid, 2000);
    const stopped = await stoppedFraction(pid, 1500);
    t.diagnostic(`burner share before ${(before * 100).toFixed(1)} %, duty cycle 25 %: ${(capped * 100).toFixed(1)} %, stopped ${(stopped * 100).toFixed(0)} % of the time`);
    assert.ok(capped <= 0.4, `held near 25 % of a CPU (timers run late on a loaded machine), measured ${capped.toFixed(3)}`);
    // What the duty cycle controls, whatever else the machine runs: stopped ~75 % of the time.
    assert.ok(stopped >= 0.55 && stopped <= 0.9, `stopped about 75 % of the time, measured ${stopped.toFixed(2)}`);
    // It runs only in its windows, and there competes with the rest of a loaded machine.
    assert.ok(capped >= 0.03, `a throttle, not a freeze: measured ${capped.toFixed(3)}`);
    resolved.next(); // the incident resolved
    for (let i = 0; i < 100 && capper.list().length > 0; i++) await sleep(10);
    assert.deepEqual(capper.list(), []);
    await sleep(50);
    assert.equal(await stoppedFraction(pid, 500), 0, 'left running, never stopped again');
  } finally {
    await capper.stop();
    await killBurners();
  }
});

test('a cap ends by itself after its duration, and when the process exits', async () => {
  const capper = createCpuCapper({ host, logger: memoryLogger(), spareNow: () => () => null, dutyPeriodMs: 50 });
  const a = spawnBurner(60);
  burners.push(a);
  const pa = await burningPid(a);
  const pb = await burner();
  try {
    await capper.cap(pa, { share: 0.5, durationMs: null, reason: 'x' });
    await capper.cap(pb, { share: 0.5, durationMs: 300, reason: 'x' });
    assert.deepEqual(capper.list().map((c) => c.pid), [pa, pb]);
    await a.kill();
    for (let i = 0; i < 200 && capper.list().length > 0; i++) await sleep(10);
    assert.deepEqual(capper.list(), [], 'one lifted when it exited, the other after 300 ms');
    await sleep(60);
    assert.notEqual(procState(pb), 'T');
  } finally {
    await capper.stop();
    await killBurners();
  }
});

test('two incidents at once about one process, or about two processes of one cgroup, cap it once, and the cgroup gets its own limit back', { skip: v1Unavailable ?? false }, async () => {
  const dir = testCgroup();
  const a = await burner();
  const b = await burner();
  writeFileSync(join(dir, 'cgroup.procs'), String(a));
  writeFileSync(join(dir, 'cgroup.procs'), String(b));
  const capper = createCpuCapper({ host, logger: memoryLogger(), spareNow: () => () => null });
  try {
    const o = { share: 0.2, durationMs: null, reason: 'cpu hog' };
    const [first, second, other] = await Promise.all([capper.cap(a, o), capper.cap(a, o), capper.cap(b, o)]);
    assert.deepEqual([first.outcome, second.outcome, other.outcome], ['capped', 'already', 'already']);
    assert.equal(capper.list().length, 1);
    assert.equal(readFileSync(join(dir, 'cpu.cfs_quota_us'), 'utf8').trim(), '20000');
  } finally {
    await capper.stop();
    await killBurners();
  }
  assert.equal(readFileSync(join(dir, 'cpu.cfs_quota_us'), 'utf8').trim(), '-1', 'no cap left behind in the cgroup');
});
