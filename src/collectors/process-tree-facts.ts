/**
 * What the process anomaly rules need from one process table beyond the top lists:
 * the zombies with the parents that do not reap them, and the largest process trees
 * (where a fork bomb grows). Pure, one pass over the table plus a walk of a few
 * candidates: about 1 µs per process, beside the ~12 µs it takes to read one.
 */
import type { ProcessTree, ZombieProcess } from '../model/metrics.js';
import type { ProcStat } from './processes.js';

/** A host with thousands of zombies names the first ones; the count says how many. */
export const MAX_LISTED_ZOMBIES = 50;
/** How many trees a sample lists. */
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
  zombies: ZombieProcess[];
  trees: ProcessTree[];
}

/** The whole host's roots: init (1), kthreadd (2) and the idle task (0) are never "a tree". */
const isHostRoot = (pid: number): boolean => pid <= 2;

/** Pure: zombies and largest trees of one table. */
export const processTreeFacts = (processes: ReadonlyMap<number, ProcStat>): ProcessTreeFacts => {
  const zombies: ZombieProcess[] = [];
  let zombieCount = 0;
  // descendants per pid: each process adds one to every ancestor (ppid links; a parent
  // missing from the table ends the walk). Depth is small on real hosts; a chain bomb
  // of depth d costs d per process, bounded below by the table's size.
  const descendants = new Map<number, number>();
  for (const p of processes.values()) {
    if (p.state === 'Z') {
      zombieCount++;
      zombies.push({ pid: p.pid, ppid: p.ppid, name: p.name, parentName: processes.get(p.ppid)?.name ?? '' });
    }
    let up = processes.get(p.ppid);
    for (let hops = 0; up !== undefined && !isHostRoot(up.pid) && hops < processes.size; hops++) {
      descendants.set(up.pid, (descendants.get(up.pid) ?? 0) + 1);
      up = processes.get(up.ppid);
    }
  }
  zombies.sort((a, b) => a.pid - b.pid);

  const candidates = [...descendants].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, LISTED_TREES * 2);
  const isAncestor = (ancestor: number, pid: number): boolean => {
    let up = processes.get(pid);
    for (let hops = 0; up !== undefined && !isHostRoot(up.pid) && hops < processes.size; hops++) {
      if (up.ppid === ancestor) return true;
      up = processes.get(up.ppid);
    }
    return false;
  };
  const trees: ProcessTree[] = [];
  for (const [pid, n] of candidates) {
    const dominated = candidates.some(([other, m]) => other !== pid && m >= n * DOMINANT_SHARE && isAncestor(pid, other));
    if (dominated) continue;
    trees.push({ pid, name: processes.get(pid)?.name ?? '', descendants: n });
    if (trees.length === LISTED_TREES) break;
  }
  return { zombieCount, zombies: zombies.slice(0, MAX_LISTED_ZOMBIES), trees };
};
