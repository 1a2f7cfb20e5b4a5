/**
 * Zombies and process trees from one process table (pure, on hand-made tables in the
 * shape readProcessTable returns).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { processTreeFacts, LISTED_ZOMBIE_PARENTS } from '../../src/collectors/process-tree-facts.js';
import type { ProcStat } from '../../src/collectors/processes.js';

const proc = (pid: number, ppid: number, name: string, state = 'S'): ProcStat => ({ pid, ppid, pgid: pid, sid: pid, name, state, cpuTicks: 0, startTicks: pid, rssBytes: 0 });
const table = (...ps: ProcStat[]) => new Map(ps.map((p) => [p.pid, p]));

/** init → sshd → sshd → bash → bomb, and a binary fork tree of `depth` levels under bomb (pids from 1000). */
const bombHost = (depth: number) => {
  const ps = [proc(1, 0, 'systemd'), proc(2, 0, 'kthreadd'), proc(3, 2, 'kworker/0:0'), proc(700, 1, 'sshd'), proc(800, 700, 'sshd'), proc(801, 800, 'bash'), proc(900, 801, 'bomb')];
  let level = [900];
  let next = 1000;
  for (let d = 0; d < depth; d++) {
    const children: number[] = [];
    for (const parent of level) for (let k = 0; k < 2; k++) { ps.push(proc(next, parent, 'bomb')); children.push(next++); }
    level = children;
  }
  return table(...ps);
};

test('zombies: counted, their parents named, most zombies first', () => {
  const f = processTreeFacts(table(proc(1, 0, 'systemd'), proc(50, 1, 'worker'), proc(52, 50, 'job', 'Z'), proc(51, 50, 'job', 'Z'), proc(60, 99, 'orphan', 'Z'), proc(70, 1, 'nginx', 'R')));
  assert.equal(f.zombieCount, 3);
  assert.deepEqual(f.zombieParents, [
    { pid: 50, name: 'worker', zombies: 2 },
    { pid: 99, name: '', zombies: 1 },
  ]);
});

test('zombies: thousands under hundreds of parents are counted; the worst parents are named, whatever their pids', () => {
  const ps = [proc(1, 0, 'init')];
  let pid = 1000;
  // 300 zombies under init (a container init that does not reap), one each under 100 parents, then 7 under a late parent
  for (let i = 0; i < 300; i++) ps.push(proc(pid++, 1, 'sh', 'Z'));
  for (let i = 0; i < 100; i++) {
    const parent = pid++;
    ps.push(proc(parent, 1, 'p'), proc(pid++, parent, 'c', 'Z'));
  }
  ps.push(proc(90_000, 1, 'leaker'));
  for (let i = 0; i < 7; i++) ps.push(proc(90_001 + i, 90_000, 'job', 'Z'));
  const f = processTreeFacts(table(...ps));
  assert.equal(f.zombieCount, 407);
  assert.equal(f.zombieParents.length, LISTED_ZOMBIE_PARENTS);
  assert.deepEqual(f.zombieParents.slice(0, 2), [
    { pid: 1, name: 'init', zombies: 300 },
    { pid: 90_000, name: 'leaker', zombies: 7 },
  ]);
});

test('trees: a fork tree is listed at its root, not at the shell and sshd above it; init and kthreadd are never trees', () => {
  const f = processTreeFacts(bombHost(8)); // 2 + 4 + ... + 256 = 510 descendants
  assert.deepEqual(f.trees[0], { pid: 900, name: 'bomb', descendants: 510 });
  assert.ok(!f.trees.some((t) => [1, 2, 700, 800, 801].includes(t.pid)), JSON.stringify(f.trees));
  // its two halves are trees of their own (each half the root's)
  assert.deepEqual(f.trees.slice(1, 3).map((t) => t.descendants), [254, 254]);
});

test('trees: an ordinary host lists its few parents; a chain is listed near its top', () => {
  const f = processTreeFacts(table(proc(1, 0, 'systemd'), proc(10, 1, 'nginx'), proc(11, 10, 'nginx'), proc(12, 10, 'nginx'), proc(20, 1, 'cron')));
  assert.deepEqual(f.trees, [{ pid: 10, name: 'nginx', descendants: 2 }]);
  const chain = [proc(1, 0, 'systemd')];
  for (let pid = 100; pid < 400; pid++) chain.push(proc(pid, pid === 100 ? 1 : pid - 1, 'chain'));
  const c = processTreeFacts(table(...chain));
  assert.ok(c.trees[0]!.descendants >= 290, JSON.stringify(c.trees));
});

test('a table with a parent loop (a broken fixture) still ends', () => {
  const f = processTreeFacts(table(proc(5, 6, 'a'), proc(6, 5, 'b')));
  assert.equal(f.trees.length <= 2, true);
});

test('trees: a tree growing fast is listed beside larger ones, given the previous read; a recycled pid is a new tree', () => {
  const base = [proc(1, 0, 'init')];
  for (let s = 0; s < 6; s++) {
    const root = 100 + s * 1000;
    base.push(proc(root, 1, 'farm'));
    for (let c = 1; c <= 600; c++) base.push(proc(root + c, root, 'w'));
  }
  const withTree = (children: number, start = 50_000) => {
    const t = table(...base, { ...proc(50_000, 1, 'bomb'), startTicks: start });
    for (let c = 1; c <= children; c++) t.set(60_000 + c, proc(60_000 + c, 50_000, 'bomb'));
    return t;
  };
  const before = withTree(10);
  const now = withTree(150);
  assert.ok(!processTreeFacts(now).trees.some((t) => t.pid === 50_000), 'by size alone it is not among the 5 largest');
  const f = processTreeFacts(now, before);
  assert.deepEqual(f.trees.slice(0, 5).map((t) => t.descendants), [600, 600, 600, 600, 600]);
  assert.deepEqual(f.trees.find((t) => t.pid === 50_000), { pid: 50_000, name: 'bomb', descendants: 150 });
  // the same pid started anew since the previous read: all of its 150 are growth
  assert.ok(processTreeFacts(withTree(150, 1), withTree(150, 2)).trees.some((t) => t.pid === 50_000));
  assert.ok(!processTreeFacts(withTree(150), withTree(150)).trees.some((t) => t.pid === 50_000), 'no growth, not listed');
});
