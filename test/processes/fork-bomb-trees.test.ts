/**
 * Which trees are fork bombs (findForkBombs) and who belongs to one (treeMembers), on
 * process tables written out here: pure, no processes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ProcStat } from '../../src/collectors/processes.js';
import { findForkBombs, treeMembers, type ForkBombCriteria } from '../../src/processes/fork-bomb-trees.js';

const NOW = 100_000; // ticks since boot (1,000 s)
const proc = (pid: number, ppid: number, pgid: number, startTicks: number, name = 'sh', state = 'S'): ProcStat => ({
  pid, ppid, pgid, sid: pgid, name, state, cpuTicks: 0, startTicks, rssBytes: 0,
});
const tableOf = (...ps: ProcStat[]) => new Map(ps.map((p) => [p.pid, p]));
const criteria: ForkBombCriteria = { nowTicks: NOW, windowTicks: 200, minSpanTicks: 10, ratePerSec: 200, minTreeSize: 50, ticksPerSec: 100 };

/** The base system: init, kthreadd and a kernel thread, sshd, a login shell (all old). */
const system = () => [
  proc(1, 0, 1, 1, 'init'),
  proc(2, 0, 0, 1, 'kthreadd'),
  proc(3, 2, 0, 1, 'kworker/0:0'),
  proc(500, 1, 500, 50, 'sshd'),
  proc(600, 500, 600, 90_000, 'bash'),
];

/** `n` processes in group `pgid`, reparented to init (their parents exited), started over `spanTicks` before now. */
const reparented = (firstPid: number, pgid: number, n: number, spanTicks: number) =>
  Array.from({ length: n }, (_, i) => proc(firstPid + i, 1, pgid, NOW - spanTicks + Math.floor((i * spanTicks) / n), 'sleep'));

test('a bomb whose members were reparented to init is one tree, by its process group; the shell it came from is not in it', () => {
  const bomb = reparented(1000, 1000, 300, 100); // 300 in 1 s
  const [found, ...rest] = findForkBombs(tableOf(...system(), ...bomb), criteria);
  assert.deepEqual(rest, []);
  assert.equal(found!.members.length, 300);
  assert.deepEqual(found!.pgids, [1000]);
  assert.equal(found!.root.pid, 1000, 'the oldest member whose parent is not a member');
  assert.equal(found!.recent, 300);
  assert.ok(Math.abs(found!.ratePerSec - 300) < 5, `~300/s, got ${found!.ratePerSec}`);
});

test('a bomb that gives every child a new process group is held together by young parent links', () => {
  // a chain of young processes, each its own group, each forked by the one before
  const chain = Array.from({ length: 80 }, (_, i) => proc(2000 + i, i === 0 ? 600 : 2000 + i - 1, 2000 + i, NOW - 20 + Math.floor(i / 4))); // 80 in 0.2 s
  const [found] = findForkBombs(tableOf(...system(), ...chain), criteria);
  assert.equal(found!.members.length, 80);
  assert.equal(found!.root.pid, 2000);
  assert.ok(!found!.members.some((m) => m.pid === 600), 'the old login shell is not linked to its young child');
});

test('not bombs: too small (zombies do not count), too slow, old, already frozen; init, kthreadd and kernel threads never', () => {
  const small = reparented(1000, 1000, 49, 10);
  assert.deepEqual(findForkBombs(tableOf(...system(), ...small), criteria), []);
  // 300 processes over 2 s = 150/s < 200/s
  const slow = reparented(1000, 1000, 300, 199);
  assert.deepEqual(findForkBombs(tableOf(...system(), ...slow), criteria), []);
  // 300 processes started an hour ago: not growth
  const old = reparented(1000, 1000, 300, 100).map((p) => ({ ...p, startTicks: p.startTicks - 360_000 }));
  assert.deepEqual(findForkBombs(tableOf(...system(), ...old), criteria), []);
  // 60 in the group, but 20 of them zombies: 40 processes, under 50
  const withZombies = reparented(1000, 1000, 60, 10).map((p, i) => (i < 20 ? { ...p, state: 'Z' } : p));
  assert.deepEqual(findForkBombs(tableOf(...system(), ...withZombies), criteria), []);
  // all stopped: frozen already, by us or by hand
  const frozen = reparented(1000, 1000, 300, 100).map((p) => ({ ...p, state: 'T' }));
  assert.deepEqual(findForkBombs(tableOf(...system(), ...frozen), criteria), []);
  // 100 young kernel threads (ppid 2, pgid 0)
  const kthreads = Array.from({ length: 100 }, (_, i) => proc(3000 + i, 2, 0, NOW - 5, 'kworker'));
  assert.deepEqual(findForkBombs(tableOf(...system(), ...kthreads), criteria), []);
});

test('exactly at the rate is not over it; ten processes in one tick are not a rate of thousands', () => {
  // 200 processes over exactly 1 s: 200/s, not > 200/s
  const at = reparented(1000, 1000, 200, 100);
  assert.deepEqual(findForkBombs(tableOf(...system(), ...at), criteria), []);
  // 60 processes in the same tick: the span is at least 10 ticks → 600/s, a bomb (not ∞)
  const burst = Array.from({ length: 60 }, (_, i) => proc(1000 + i, 1, 1000, NOW));
  const [found] = findForkBombs(tableOf(...system(), ...burst), criteria);
  assert.equal(found!.ratePerSec, 600);
});

test('two bombs: both found, the faster first', () => {
  const a = reparented(1000, 1000, 100, 100); // 100/s... under the rate
  const b = reparented(5000, 5000, 400, 100); // 400/s
  const c = reparented(9000, 9000, 900, 100); // 900/s
  const found = findForkBombs(tableOf(...system(), ...a, ...b, ...c), criteria);
  assert.deepEqual(found.map((t) => t.pgids[0]), [9000, 5000]);
});

test('treeMembers: the known (pid AND start time), its groups, their descendants; a reused pid is not a member', () => {
  const known = new Map([[1000, NOW - 50], [1001, NOW - 50]]);
  const table = tableOf(
    ...system(),
    proc(1000, 1, 1000, NOW - 50), // known
    proc(1001, 1, 1777, NOW + 5), // pid 1001 reused by another process (other start time, other group)
    proc(1002, 1, 1000, NOW - 10), // in the group
    proc(1003, 1002, 1003, NOW - 5), // left the group, but a child of a member
    proc(1004, 1003, 1004, NOW - 1), // grandchild
    proc(1005, 600, 600, NOW - 1, 'ls'), // the shell's other child: no link
  );
  const members = treeMembers(table, new Set([1000]), known);
  assert.deepEqual(members.map((p) => p.pid).sort((x, y) => x - y), [1000, 1002, 1003, 1004]);
  assert.deepEqual([...known.keys()].sort((x, y) => x - y), [1000, 1001, 1002, 1003, 1004], 'new members are remembered');
  assert.equal(known.get(1001), NOW - 50, 'the reused pid keeps the old start time: never matched');
});

test('an exponential bomb is judged on its current pace, not its slow first generations', () => {
  // 20 processes over the first 1.5 s, then 150 in the last 0.5 s: 85/s on average, 300/s now
  const slow = Array.from({ length: 20 }, (_, i) => proc(3000 + i, 1, 3000, NOW - 200 + i * 7, 'sleep'));
  const fast = Array.from({ length: 150 }, (_, i) => proc(3100 + i, 1, 3000, NOW - 49 + Math.floor(i / 3), 'sleep'));
  const [found] = findForkBombs(tableOf(...system(), ...slow, ...fast), criteria);
  assert.ok(found, 'found while it grows, not once it has filled the table');
  assert.ok(found.ratePerSec >= 290, `its last half second's pace, got ${found.ratePerSec}`);
  // the same 170 spread evenly over the 2 s window (85/s) is no bomb
  assert.deepEqual(findForkBombs(tableOf(...system(), ...reparented(4000, 4000, 170, 200)), criteria), []);
});
