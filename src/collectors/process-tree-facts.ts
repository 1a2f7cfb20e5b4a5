/**
 * What the process anomaly rules need from one process table beyond the top lists:
 * how many zombies there are and which parents do not reap them, and the largest
 * process trees (where a fork bomb grows). Pure, O(n): one pass counts children, one
 * pass sums subtrees leaves first, then a few candidates are compared.
 */
import type { ProcessTree, ZombieParent } from '../model/metrics.js';
import type { ProcStat } from './processes.js';

/** A host with zombies under hundreds of parents names the worst ones; the count says how many zombies in all. */
export const LISTED_ZOMBIE_PARENTS = 20;
/** How many trees a sample lists by size, and (from the second read) how many more by growth since the read before. */
export const LISTED_TREES = 5;
/**
 * A tree whose one subtree holds at least this share of its descendants is not the
 * bomb's root but an ancestor of it (init → sshd → bash → bomb): the subtree is listed
 * instead. A fork bomb's root splits its tree between its children (2 halves for
 * `:(){ :|:& };:`), so it stays.
 */
const DOMINANT_SHARE = 0.8;

export interface ProcessTreeFacts {
  zombieCount: number;
  zombieParents: ZombieParent[];
  trees: ProcessTree[];
}

/** The whole host's roots: init (1), kthreadd (2) and the idle task (0) are never "a tree". */
const isHostRoot = (pid: number): boolean => pid <= 2;

/** Keeps the `n` largest `[pid, count]` by count (then lower pid), without sorting the whole table. */
const largest = (entries: Iterable<[number, number]>, n: number): [number, number][] => {
  const top: [number, number][] = [];
  const before = (a: [number, number], b: [number, number]) => a[1] > b[1] || (a[1] === b[1] && a[0] < b[0]);
  for (const e of entries) {
    if (top.length === n && !before(e, top[n - 1]!)) continue;
    let i = Math.min(top.length, n - 1);
    if (top.length < n) top.push(e);
    while (i > 0 && before(e, top[i - 1]!)) {
      top[i] = top[i - 1]!;
      i--;
    }
    top[i] = e;
  }
  return top;
};

/**
 * Descendants per pid, leaves first: a process is summed into its parent once all of
 * its own children have been (a parent missing from the table ends a branch; a ppid
 * loop, impossible in procfs, is simply never summed). Remembered per table, so the
 * previous read's sizes cost nothing the second time (a WeakMap: gone with the table).
 */
const descendantsOf = (processes: ReadonlyMap<number, ProcStat>): ReadonlyMap<number, number> => {
  const known = computed.get(processes);
  if (known) return known;
  const children = new Map<number, number>();
  for (const p of processes.values()) if (processes.has(p.ppid)) children.set(p.ppid, (children.get(p.ppid) ?? 0) + 1);
  const descendants = new Map<number, number>();
  const leaves: number[] = [];
  for (const p of processes.values()) if (!children.has(p.pid)) leaves.push(p.pid);
  while (leaves.length > 0) {
    const pid = leaves.pop()!;
    const ppid = processes.get(pid)!.ppid;
    if (!processes.has(ppid)) continue;
    descendants.set(ppid, (descendants.get(ppid) ?? 0) + (descendants.get(pid) ?? 0) + 1);
    const left = children.get(ppid)! - 1;
    children.set(ppid, left);
    if (left === 0) leaves.push(ppid);
  }
  for (const pid of [0, 1, 2]) descendants.delete(pid);
  computed.set(processes, descendants);
  return descendants;
};
const computed = new WeakMap<ReadonlyMap<number, ProcStat>, ReadonlyMap<number, number>>();

/**
 * The `n` best trees by `score` (size, or growth), each at the deepest process that
 * holds most of its score: an ancestor is dropped when a listed descendant has at least
 * DOMINANT_SHARE of its score.
 */
const listTrees = (processes: ReadonlyMap<number, ProcStat>, score: Iterable<[number, number]>, n: number): number[] => {
  const candidates = largest(score, n * 2).filter(([pid, v]) => v > 0 && !isHostRoot(pid));
  const isAncestor = (ancestor: number, pid: number): boolean => {
    let up = processes.get(pid);
    for (let hops = 0; up !== undefined && !isHostRoot(up.pid) && hops < processes.size; hops++) {
      if (up.ppid === ancestor) return true;
      up = processes.get(up.ppid);
    }
    return false;
  };
  return candidates
    .filter(([pid, v]) => !candidates.some(([other, w]) => other !== pid && w >= v * DOMINANT_SHARE && isAncestor(pid, other)))
    .slice(0, n)
    .map(([pid]) => pid);
};

/**
 * Pure: zombie count and parents, and the process trees of one table: the largest, and
 * (given the previous read) those that grew the most since it, so a tree growing fast
 * is listed on a host whose largest trees are bigger still (a build farm, a
 * pre-forking server). A process is the same only with the same start time.
 */
export const processTreeFacts = (processes: ReadonlyMap<number, ProcStat>, previous?: ReadonlyMap<number, ProcStat>): ProcessTreeFacts => {
  let zombieCount = 0;
  const zombiesOf = new Map<number, number>();
  for (const p of processes.values()) {
    if (p.state !== 'Z') continue;
    zombieCount++;
    zombiesOf.set(p.ppid, (zombiesOf.get(p.ppid) ?? 0) + 1);
  }

  const descendants = descendantsOf(processes);
  const pids = listTrees(processes, descendants, LISTED_TREES);
  if (previous) {
    const before = descendantsOf(previous);
    const growth = new Map<number, number>();
    for (const [pid, n] of descendants) {
      const same = previous.get(pid)?.startTicks === processes.get(pid)!.startTicks;
      growth.set(pid, n - (same ? (before.get(pid) ?? 0) : 0));
    }
    for (const pid of listTrees(processes, growth, LISTED_TREES)) if (!pids.includes(pid)) pids.push(pid);
  }
  const trees = pids.map((pid) => ({ pid, name: processes.get(pid)!.name, descendants: descendants.get(pid)! }));

  const zombieParents = largest(zombiesOf, LISTED_ZOMBIE_PARENTS).map(([pid, zombies]) => ({ pid, name: processes.get(pid)?.name ?? '', zombies }));
  return { zombieCount, zombieParents, trees };
};
