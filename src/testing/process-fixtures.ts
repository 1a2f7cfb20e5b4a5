/**
 * `processes:` fixtures of a rule test: the processes a host runs, each with its CPU
 * and RSS as series (one value per interval, `_` or the series' end: the process is
 * gone), and how many children it has. Each tick they become the snapshot's
 * `processes` section as the collector fills it — a count, and the top processes by
 * CPU and by memory — so process rules and the pids a rule names (freeze_top_process's
 * target) can be tested.
 */
import type { Metrics, ProcessInfo } from '../model/metrics.js';

/** The collector keeps this many top processes per ordering. */
const TOP = 5;

export interface ProcessFixture {
  name: string;
  pid: number;
  ppid: number;
  uid: number;
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
  let children = 0;
  for (const f of fixtures) {
    const cpu = f.cpu[i] ?? null;
    const rss = f.rssMb[i] ?? null;
    if (cpu === null || rss === null) continue;
    alive.push({ pid: f.pid, ppid: f.ppid, name: f.name, uid: f.uid, state: 'R', cpuPercent: cpu, rssBytes: Math.round(rss * 1048576) });
    children += f.children[i] ?? 0;
  }
  const count = m.processes?.count;
  m.processes = {
    count: count ?? alive.length + children,
    topByCpu: [...alive].sort((a, b) => b.cpuPercent - a.cpuPercent).slice(0, TOP),
    topByMemory: [...alive].sort((a, b) => b.rssBytes - a.rssBytes).slice(0, TOP),
  };
};
