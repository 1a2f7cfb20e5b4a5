/**
 * `processes:` fixtures of a rule test: the processes a host runs, each with its CPU
 * and RSS as series (one value per interval, `_` or the series' end: the process is
 * gone), its state (Z: a zombie) and how many children it has. Each tick they become
 * the snapshot's `processes` section as the collector fills it — a count, the top
 * processes by CPU and by memory, the zombies' count and parents, and the
 * process trees (a fixture with children is a tree of that many descendants) — so
 * process rules and the pids a rule names (a process action's target) can be tested.
 * Every tick is a new read of the process table, as if the table were read every
 * interval.
 */
import type { Metrics, ProcessInfo, ProcessTree, ZombieParent } from '../model/metrics.js';
import { LISTED_TREES } from '../collectors/process-tree-facts.js';

/** The collector keeps this many top processes per ordering. */
const TOP = 5;

export interface ProcessFixture {
  name: string;
  pid: number;
  ppid: number;
  uid: number;
  /** its state letter (R, S, Z, ...) */
  state: string;
  /** % of one core per tick */
  cpu: (number | null)[];
  /** MiB per tick */
  rssMb: (number | null)[];
  /** child processes per tick (counted, not listed) */
  children: (number | null)[];
}

/** Sets `m.processes` from the fixtures at tick `i`; a `processes.count` series given as a metric wins over the count. */
export const applyProcesses = (m: Metrics, fixtures: readonly ProcessFixture[], i: number): void => {
  if (fixtures.length === 0) return;
  const alive: ProcessInfo[] = [];
  const trees: ProcessTree[] = [];
  let children = 0;
  for (const f of fixtures) {
    const cpu = f.cpu[i] ?? null;
    const rss = f.rssMb[i] ?? null;
    if (cpu === null || rss === null) continue;
    alive.push({ pid: f.pid, ppid: f.ppid, name: f.name, uid: f.uid, state: f.state, cpuPercent: cpu, rssBytes: Math.round(rss * 1048576) });
    const n = f.children[i] ?? 0;
    children += n;
    if (n > 0) trees.push({ pid: f.pid, name: f.name, descendants: n });
  }
  const nameOf = new Map(alive.map((p) => [p.pid, p.name]));
  const parents = new Map<number, ZombieParent>();
  let zombieCount = 0;
  for (const p of alive) {
    if (p.state !== 'Z') continue;
    zombieCount++;
    const z = parents.get(p.ppid) ?? { pid: p.ppid, name: nameOf.get(p.ppid) ?? '', zombies: 0 };
    z.zombies++;
    parents.set(p.ppid, z);
  }
  const count = m.processes?.count;
  m.processes = {
    count: count ?? alive.length + children,
    topByCpu: [...alive].sort((a, b) => b.cpuPercent - a.cpuPercent).slice(0, TOP),
    topByMemory: [...alive].sort((a, b) => b.rssBytes - a.rssBytes).slice(0, TOP),
    zombieCount,
    zombieParents: [...parents.values()].sort((a, b) => b.zombies - a.zombies || a.pid - b.pid),
    trees: trees.sort((a, b) => b.descendants - a.descendants || a.pid - b.pid).slice(0, LISTED_TREES),
  };
};
