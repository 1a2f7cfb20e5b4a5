/**
 * Choosing whom to freeze or kill, pure over a ProcessView:
 *
 *  - by CPU (a cpu_usage or load incident: the hog is whoever burns the cores), or by
 *    memory (a memory_usage / swap_usage / memory anomaly incident: earlyoom's and the
 *    OOM killer's choice, the kernel's `oom_score` — RSS share with `oom_score_adj`
 *    applied, so a service that asked to be spared (sshd sets -1000) sorts last —
 *    then RSS);
 *  - `prefer` / `avoid` regexes tested on the name AND the full cmdline (comm is cut at
 *    15 characters: `my-very-long-worker` is `my-very-long-wo` there): preferred
 *    processes come first, avoided ones last; neither changes who is eligible;
 *  - protected processes (`spare`) are never chosen, and each one that would have been
 *    is reported with its reason (the action logs it);
 *  - by CPU, a process below `minCpu` is never chosen (the compat policy's
 *    min_cpu_to_freeze: once the hogs are stopped, the next "top" is `htop` at 5 %).
 */
import type { ProcessView } from './process-view.js';
import type { Spare } from './spare.js';

export type VictimOrder = 'cpu' | 'memory';

export interface Victim {
  pid: number;
  name: string;
  cmdline: string;
  startTicks: number;
  cpuPercent: number;
  rssBytes: number;
}

export interface Skip {
  pid: number;
  name: string;
  reason: string;
}

export interface VictimChoice {
  victims: Victim[];
  /** protected processes that ranked among the candidates, with why */
  skipped: Skip[];
}

export interface ChooseOptions {
  order: VictimOrder;
  count: number;
  /** by CPU: the floor below which nobody is chosen (%) */
  minCpu?: number;
  prefer?: RegExp;
  avoid?: RegExp;
  spare: Spare;
}

/** Which order an incident asks for: memory pressure picks by memory, everything else by CPU. */
export const orderFor = (monitorType: string): VictimOrder =>
  /memory|swap|oom/.test(monitorType) ? 'memory' : 'cpu';

export const victimOf = (view: ProcessView, pid: number): Victim => {
  const p = view.table.get(pid)!;
  return { pid, name: p.name, cmdline: view.cmdline(pid) ?? '', startTicks: p.startTicks, cpuPercent: view.cpuPercent(pid), rssBytes: p.rssBytes };
};

const matches = (re: RegExp | undefined, v: Victim) => re !== undefined && (re.test(v.name) || re.test(v.cmdline));

export const chooseVictims = (view: ProcessView, o: ChooseOptions): VictimChoice => {
  const pids = [...view.table.keys()];
  // Cheap filters first (no per-pid file reads for the hundreds of idle processes).
  const eligible = o.order === 'cpu' ? pids.filter((pid) => view.cpuPercent(pid) >= (o.minCpu ?? 0) && view.cpuPercent(pid) > 0) : pids;
  const key = (pid: number): number[] =>
    o.order === 'cpu'
      ? [view.cpuPercent(pid), view.table.get(pid)!.rssBytes]
      : [view.oomScore(pid), view.table.get(pid)!.rssBytes];
  const byLoad = (a: number, b: number) => {
    const ka = key(a);
    const kb = key(b);
    return kb[0]! - ka[0]! || kb[1]! - ka[1]! || a - b;
  };
  // By memory, rank on RSS first (no file read) and read oom_score for the biggest only.
  const ranked = o.order === 'memory'
    ? eligible.sort((a, b) => view.table.get(b)!.rssBytes - view.table.get(a)!.rssBytes).slice(0, Math.max(50, o.count * 10)).sort(byLoad)
    : eligible.sort(byLoad);
  const tier = (v: Victim) => (matches(o.prefer, v) ? 0 : matches(o.avoid, v) ? 2 : 1);
  const candidates = ranked.map((pid) => victimOf(view, pid));
  const ordered = candidates.map((v, i) => ({ v, i, t: tier(v) })).sort((a, b) => a.t - b.t || a.i - b.i).map((x) => x.v);

  const victims: Victim[] = [];
  const skipped: Skip[] = [];
  for (const v of ordered) {
    if (victims.length >= o.count) break;
    const reason = o.spare(v.pid);
    if (reason !== null) skipped.push({ pid: v.pid, name: v.name, reason });
    else victims.push(v);
  }
  return { victims, skipped };
};
