/**
 * kill_process on real processes: SIGTERM then SIGKILL after the grace for one that
 * ignores TERM; group scope takes the whole process group and spares a protected member
 * (a copy of sleep named sshd); cgroup scope on this host's v2 tree and on a v1
 * controller, each cgroup created here and removed in `finally`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ownChildren, stateOf, waitUntil, cpuTicksOf } from './own-children.js';
import { testDeps, incidentOf, ctxOf } from './process-deps.js';
import { killProcessAction } from '../../src/actions/kill-process.js';
import { parseCgroupLayout } from '../../src/exec/cgroup-layout.js';

const gone = (pid: number) => {
  const s = stateOf(pid);
  return s === null || s === 'Z';
};

test('kill_process: a process that ignores SIGTERM is SIGKILLed after the grace', { timeout: 30_000 }, async () => {
  const kids = ownChildren();
  try {
    const stubborn = kids.spawn('/bin/sh', ['-c', 'trap "" TERM; while :; do :; done # pm-kill-stubborn']);
    await waitUntil(() => cpuTicksOf(stubborn.pid!) > 5, 10_000, 'burner burning');
    const host = kids.host();
    const deps = testDeps(host);
    const started = Date.now();
    const out = await killProcessAction(deps, { graceMs: 400 }).run(ctxOf(incidentOf()));
    assert.equal(out.outcome, 'ok', out.summary);
    assert.match(out.summary, /killed pid \d+ \(sh, \d+% CPU\); 1 needed SIGKILL after 0s/);
    assert.ok(Date.now() - started >= 400, 'the grace was waited');
    assert.deepEqual(host.signals.map((s) => s.signal), ['SIGTERM', 'SIGKILL']);
    await waitUntil(() => gone(stubborn.pid!), 5_000, 'stubborn gone');
  } finally {
    await kids.killAll();
  }
});

test('kill_process: a process that obeys SIGTERM gets no SIGKILL', { timeout: 30_000 }, async () => {
  const kids = ownChildren();
  try {
    const b = kids.spawn('/bin/sh', ['-c', 'while :; do :; done # pm-kill-polite']);
    await waitUntil(() => cpuTicksOf(b.pid!) > 5, 10_000, 'burner burning');
    const host = kids.host();
    const out = await killProcessAction(testDeps(host), { graceMs: 3_000 }).run(ctxOf(incidentOf()));
    assert.equal(out.outcome, 'ok', out.summary);
    assert.deepEqual(host.signals.map((s) => s.signal), ['SIGTERM']);
    assert.ok(gone(b.pid!));
  } finally {
    await kids.killAll();
  }
});

test('kill_process: a frozen (stopped) victim is continued after SIGTERM, so it exits without SIGKILL', { timeout: 30_000 }, async () => {
  const kids = ownChildren();
  try {
    const b = kids.spawn('/bin/sh', ['-c', 'while :; do :; done # pm-kill-frozen']);
    await waitUntil(() => cpuTicksOf(b.pid!) > 5, 10_000, 'burner burning');
    const host = kids.host();
    const deps = testDeps(host);
    // memory order: no CPU needed, so the stopped process is still a candidate
    process.kill(b.pid!, 'SIGSTOP');
    await waitUntil(() => stateOf(b.pid!) === 'T', 5_000, 'stopped');
    const out = await killProcessAction(deps, { graceMs: 3_000 }).run(ctxOf(incidentOf('memory_usage')));
    assert.equal(out.outcome, 'ok', out.summary);
    assert.deepEqual(host.signals.map((s) => s.signal), ['SIGTERM', 'SIGCONT']);
    assert.ok(gone(b.pid!));
  } finally {
    await kids.killAll();
  }
});

test('kill_process scope group: the whole process group dies; a protected member (sshd) is spared and logged', { timeout: 30_000 }, async () => {
  const kids = ownChildren();
  try {
    const group = kids.spawn('/bin/sh', ['-c', 'sleep 30 & sleep 30 & while :; do :; done # pm-kill-group']);
    await waitUntil(() => cpuTicksOf(group.pid!) > 5 && kids.pids().length === 3, 10_000, 'group of 3 up');
    const members = kids.pids();
    const host = kids.host();
    const out = await killProcessAction(testDeps(host), { graceMs: 2_000, scope: 'group' }).run(ctxOf(incidentOf()));
    assert.match(out.summary, new RegExp(`with its process group ${group.pid} \\(3 processes\\)`));
    assert.deepEqual(host.signals, [{ pid: -group.pid!, signal: 'SIGTERM' }], 'one signal to the group');
    await waitUntil(() => members.every(gone), 5_000, 'every member gone');

    const sshd = kids.binaryNamed('sshd');
    const mixed = kids.spawn('/bin/sh', ['-c', `${sshd} 30 & sleep 30 & while :; do :; done # pm-kill-mixed`]);
    await waitUntil(() => cpuTicksOf(mixed.pid!) > 5 && kids.pids().length === 3, 10_000, 'mixed group of 3 up');
    const sshdPid = kids.pids().find((p) => readFileSync(`/proc/${p}/comm`, 'utf8').trim() === 'sshd')!;
    const others = kids.pids().filter((p) => p !== sshdPid);
    const host2 = kids.host();
    const deps = testDeps(host2);
    const out2 = await killProcessAction(deps, { graceMs: 2_000, scope: 'group' }).run(ctxOf(incidentOf()));
    assert.equal(out2.outcome, 'ok', out2.summary);
    assert.ok(host2.signals.every((s) => s.pid > 0 && s.pid !== sshdPid), 'member by member, never sshd');
    await waitUntil(() => others.every(gone), 5_000, 'the unprotected members gone: ' + out2.summary + JSON.stringify(host2.signals) + others.map((p) => p + ':' + stateOf(p)).join(' '));
    assert.ok(!gone(sshdPid), 'sshd lives');
    assert.ok(deps.lines.some((l) => l.includes(`spared pid ${sshdPid} (sshd) in process group ${mixed.pid} of ${mixed.pid}: sshd`)), deps.lines.join('\n'));
  } finally {
    await kids.killAll();
  }
});

/** Creates a cgroup at `dir`, runs `body`, and removes it (moving stragglers out first). */
const withCgroup = async (dir: string, rootProcs: string, body: () => Promise<void>) => {
  mkdirSync(dir);
  try {
    await body();
  } finally {
    for (let i = 0; i < 50 && existsSync(dir); i++) {
      for (const pid of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
        try {
          writeFileSync(rootProcs, pid);
        } catch {
          // exited meanwhile
        }
      }
      try {
        rmdirSync(dir);
      } catch {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }
};

const cgroupCase = async (version: 1 | 2) => {
  // this process's own groups (the v2 root here; pids at its v1 root): ours are made beside
  const own = parseCgroupLayout(readFileSync('/proc/self/mountinfo', 'utf8'), readFileSync('/proc/self/cgroup', 'utf8'));
  const base = version === 2 ? own.v2 : own.v1.pids;
  if (!base || !existsSync(join(base, 'cgroup.procs'))) return 'skip';
  const kids = ownChildren();
  const dir = join(base, `pm-test-${process.pid}-${version}`);
  try {
    await withCgroup(dir, join(base, 'cgroup.procs'), async () => {
      const hog = kids.spawn('/bin/sh', ['-c', `while :; do :; done # pm-kill-cg${version}`]);
      const helper = kids.spawn('/bin/sleep', ['30']); // another group, same cgroup
      await waitUntil(() => stateOf(hog.pid!) !== null && stateOf(helper.pid!) !== null, 5_000, 'children up');
      writeFileSync(join(dir, 'cgroup.procs'), String(hog.pid));
      writeFileSync(join(dir, 'cgroup.procs'), String(helper.pid));
      await waitUntil(() => cpuTicksOf(hog.pid!) > 5, 10_000, 'hog burning');
      const host = kids.host();
      const out = await killProcessAction(testDeps(host), { graceMs: 1_000, scope: 'cgroup' }).run(ctxOf(incidentOf()));
      assert.equal(out.outcome, 'ok', out.summary);
      assert.match(out.summary, new RegExp(`with its cgroup \\S*/pm-test-${process.pid}-${version} \\(2 processes\\)`));
      await waitUntil(() => gone(hog.pid!) && gone(helper.pid!), 5_000, 'both members of the cgroup gone');
    });
  } finally {
    await kids.killAll();
  }
  assert.ok(!existsSync(dir), 'the test cgroup is removed');
  return 'ran';
};

test('kill_process scope cgroup (v2 tree): every process of the cgroup dies', { timeout: 30_000 }, async (t) => {
  if ((await cgroupCase(2)) === 'skip') t.skip('no cgroup v2 tree here');
});

test('kill_process scope cgroup (v1 pids controller): every process of the cgroup dies', { timeout: 30_000 }, async (t) => {
  if ((await cgroupCase(1)) === 'skip') t.skip('no v1 pids controller here');
});
