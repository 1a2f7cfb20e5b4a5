/**
 * Victim choice and the never-touched list, pure over a hand-built ProcessView.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ProcessView } from '../../src/actions/process-view.js';
import { chooseVictims, orderFor } from '../../src/actions/choose-victims.js';
import { spareFrom } from '../../src/actions/spare.js';

interface P {
  pid: number;
  ppid: number;
  name: string;
  argv?: string[];
  cpu?: number;
  rss?: number;
  oom?: number;
  state?: string;
  /** session (default: its own pid, a session leader) */
  sid?: number;
}

const viewOf = (ps: P[], selfPid = 999): ProcessView => {
  const byPid = new Map(ps.map((p) => [p.pid, p]));
  return {
    table: new Map(ps.map((p) => [p.pid, { pid: p.pid, ppid: p.ppid, name: p.name, state: p.state ?? 'S', pgid: p.pid, sid: p.sid ?? p.pid, cpuTicks: 0, startTicks: p.pid * 10, rssBytes: p.rss ?? 0 }])),
    selfPid,
    cpuPercent: (pid) => byPid.get(pid)?.cpu ?? 0,
    cmdline: (pid) => (byPid.has(pid) ? (byPid.get(pid)!.argv ?? []).join(' ') : null),
    argv0: (pid) => byPid.get(pid)?.argv?.[0] ?? '',
    uid: () => 1000,
    pgrp: (pid) => pid,
    cgroupText: () => null,
    oomScore: (pid) => byPid.get(pid)?.oom ?? -1,
  };
};

const base: P[] = [
  { pid: 1, ppid: 0, name: 'systemd', argv: ['/sbin/init'], cpu: 99 },
  { pid: 2, ppid: 0, name: 'kthreadd', argv: [], cpu: 99 },
  { pid: 3, ppid: 2, name: 'kworker/0:1', argv: [], cpu: 99 },
  { pid: 10, ppid: 1, name: 'sshd', argv: ['sshd: /usr/sbin/sshd -D [listener]'], cpu: 98 },
  { pid: 11, ppid: 10, name: 'sshd', argv: ['sshd: root@pts/0'], cpu: 97 },
  { pid: 12, ppid: 11, name: 'bash', argv: ['-bash'], cpu: 96 },
  { pid: 13, ppid: 12, name: 'make', argv: ['make', '-j8'], cpu: 60 },
  { pid: 900, ppid: 1, name: 'systemd-run', argv: ['systemd-run', 'panicmode'], cpu: 95 },
  { pid: 999, ppid: 900, name: 'node', argv: ['node', 'panicmode', 'run'], cpu: 94 },
  { pid: 20, ppid: 1, name: 'my-very-long-wo', argv: ['/opt/app/my-very-long-worker-name', '--queue=batch'], cpu: 50 },
  { pid: 21, ppid: 1, name: 'postgres', argv: ['postgres: writer'], cpu: 70, rss: 900 },
  { pid: 22, ppid: 1, name: 'htop', argv: ['htop'], cpu: 4 },
  { pid: 23, ppid: 1, name: 'java', argv: ['java', '-jar', 'big.jar'], cpu: 1, rss: 500, oom: 800 },
  { pid: 24, ppid: 1, name: 'redis-server', argv: ['redis-server'], cpu: 1, rss: 800, oom: 10 },
];

test('spare: PID 1, kernel threads, PanicMode and its ancestors, sshd, ssh session shells and login shells, the whitelist; others not', () => {
  const spare = spareFrom(viewOf(base), { whitelist: ['postgres'] });
  assert.deepEqual(
    base.map((p) => [p.pid, spare(p.pid)]),
    [
      [1, 'PID 1 (init)'],
      [2, 'kernel thread'],
      [3, 'kernel thread'],
      [10, 'sshd'],
      [11, 'sshd'],
      [12, "a user's ssh session (its parent is sshd)"],
      [13, null], // a build run from the ssh shell is fair game
      [900, 'an ancestor of PanicMode'],
      [999, 'PanicMode itself'],
      [20, null],
      [21, 'whitelisted (postgres)'],
      [22, null],
      [23, null],
      [24, null],
    ],
  );
  assert.equal(spare(4242), 'gone');
  assert.equal(spareFrom(viewOf([{ pid: 50, ppid: 1, name: 'x', argv: [], state: 'Z' }]))(50), 'zombie');
});

test('spare goes by what the stat line says, not by what a process writes in its cmdline', () => {
  const ps: P[] = [
    { pid: 10, ppid: 1, name: 'sshd', argv: ['sshd: /usr/sbin/sshd -D [listener]'] },
    { pid: 12, ppid: 1, name: 'bash', argv: ['-bash'] }, // login(1)'s shell: leads its session
    // `:(){ :|:& };:` typed at that prompt: forks of -bash, argv0 kept, session not led
    { pid: 40, ppid: 12, name: 'bash', argv: ['-bash'], sid: 12 },
    { pid: 41, ppid: 1, name: 'bash', argv: ['-bash'], sid: 12 }, // one reparented to init
    { pid: 42, ppid: 1, name: 'xmrig', argv: ['sshd: root@pts/0'], sid: 42 }, // a miner in disguise
    { pid: 43, ppid: 1, name: 'hidden', argv: [], sid: 43 }, // an empty cmdline is not a kernel thread
  ];
  const spare = spareFrom(viewOf(ps));
  assert.deepEqual(
    ps.map((p) => [p.pid, spare(p.pid)]),
    [
      [10, 'sshd'],
      [12, "a user's login shell"],
      [40, null],
      [41, null],
      [42, null],
      [43, null],
    ],
  );
});

test('spare reads no cmdline for a process its stat line decides (a forking bomb member holds its memory map)', () => {
  const read: number[] = [];
  const ps: P[] = [{ pid: 12, ppid: 1, name: 'bash', argv: ['-bash'] }, ...Array.from({ length: 50 }, (_, i): P => ({ pid: 100 + i, ppid: 1, name: 'sh', argv: ['sh', 'bomb.sh'], sid: 12 }))];
  const view = viewOf(ps);
  const counted: ProcessView = { ...view, cmdline: (pid) => (read.push(pid), view.cmdline(pid)), argv0: (pid) => (read.push(pid), view.argv0(pid)) };
  const spare = spareFrom(counted);
  for (const p of ps.slice(1)) assert.equal(spare(p.pid), null);
  assert.deepEqual(read, []);
  assert.equal(spareFrom(counted, { whitelist: ['sh'] })(100), 'whitelisted (sh)');
  assert.deepEqual(read, [], 'the comm matched the whitelist: no read');
  assert.equal(spareFrom(counted, { whitelist: ['worker'] })(100), null);
  assert.deepEqual(read, [100], 'the comm did not match: argv0 read once');
});

test('choose by CPU: the busiest unprotected first, protected ones reported, nobody under min_cpu', () => {
  const view = viewOf(base);
  const r = chooseVictims(view, { order: 'cpu', count: 3, minCpu: 10, spare: spareFrom(view) });
  assert.deepEqual(r.victims.map((v) => v.pid), [21, 13, 20]);
  assert.deepEqual(r.skipped.map((s) => s.pid), [1, 2, 3, 10, 11, 12, 900, 999]);
  assert.deepEqual(chooseVictims(view, { order: 'cpu', count: 5, minCpu: 55, spare: spareFrom(view) }).victims.map((v) => v.pid), [21, 13]);
});

test('prefer / avoid match the full cmdline, past the 15 characters of the name', () => {
  const view = viewOf(base);
  const spare = spareFrom(view);
  const preferred = chooseVictims(view, { order: 'cpu', count: 1, minCpu: 10, prefer: /my-very-long-worker/, spare });
  assert.deepEqual(preferred.victims.map((v) => v.pid), [20]);
  const avoided = chooseVictims(view, { order: 'cpu', count: 2, minCpu: 10, avoid: /postgres: writer|--queue=batch/, spare });
  assert.deepEqual(avoided.victims.map((v) => v.pid), [13, 21], 'avoided ones come last, still eligible');
});

test('choose by memory (a memory incident): the kernel oom_score first (oom_score_adj included), then RSS', () => {
  assert.equal(orderFor('memory_usage'), 'memory');
  assert.equal(orderFor('swap_usage'), 'memory');
  assert.equal(orderFor('anomaly:memory_spike'), 'memory');
  assert.equal(orderFor('cpu_usage'), 'cpu');
  const view = viewOf(base);
  const r = chooseVictims(view, { order: 'memory', count: 2, spare: spareFrom(view) });
  assert.deepEqual(r.victims.map((v) => v.pid), [23, 24], 'java (oom 800) before redis (oom 10, bigger RSS); postgres has no oom_score');
});
