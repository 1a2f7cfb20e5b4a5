/**
 * Whether a job crossed a limit, decided from what was measured, without I/O. Two
 * sources feed it:
 * - a cgroup's events (job-cgroup.ts): the kernel already enforced memory and pids, so a
 *   breach is the kernel saying it did (an OOM kill, a refused fork); CPU in a cgroup is
 *   a cap (cpu.max throttles the job) and never a breach;
 * - samples of the job's processes from /proc (no cgroup for that limit): memory is the
 *   summed RSS over the limit, procs the count over the limit, CPU the job's average use
 *   over the last `cpuSustainMs` above the limit (a short burst is not a runaway).
 */
import type { CgroupEvents, LimitKind } from './job-cgroup.js';
import type { JobLimits } from './job-limits.js';
import { CLK_TCK } from '../collectors/processes.js';

export interface Breach {
  limit: LimitKind | 'timeout';
  /** the limit in its unit: bytes, processes, % of one core, ms */
  threshold: number;
  /** what was measured in the same unit (for cgroup events: the limit itself, the kernel's count in `detail`) */
  value: number;
  /** one line for the incident and the operator */
  detail: string;
}

/** One look at the job's processes in /proc. */
export interface JobSample {
  /** monotonic ms */
  atMs: number;
  procs: number;
  rssBytes: number;
  /** CPU ticks the job's processes used since the previous sample (same pid and start time) */
  cpuTicksDelta: number;
}

/** What the judge keeps between samples: the job's accumulated CPU ticks over time. */
export interface JudgeState {
  /** (monotonic ms, cumulative ticks), oldest first, reaching back at least cpuSustainMs */
  cpu: { atMs: number; ticks: number }[];
}

export const initialJudgeState: JudgeState = { cpu: [] };

const mib = (bytes: number) => `${(bytes / 1024 ** 2).toFixed(1)} MiB`;

/** Limits the judge checks from /proc: those no cgroup enforces. */
export type PolledLimits = Pick<JobLimits, 'memoryBytes' | 'maxProcs' | 'cpuPercent'>;

export const judgeSample = (
  limits: PolledLimits,
  cpuSustainMs: number,
  state: JudgeState,
  sample: JobSample,
): { state: JudgeState; breach: Breach | null } => {
  const last = state.cpu[state.cpu.length - 1];
  const now = { atMs: sample.atMs, ticks: (last?.ticks ?? 0) + sample.cpuTicksDelta };
  // Keep the newest point at or before the window's start: the average spans the whole window.
  const cpu = [...state.cpu, now];
  while (cpu.length > 2 && cpu[1]!.atMs <= sample.atMs - cpuSustainMs) cpu.shift();
  const next = { cpu };
  if (limits.memoryBytes !== null && sample.rssBytes > limits.memoryBytes) {
    return {
      state: next,
      breach: { limit: 'memory', threshold: limits.memoryBytes, value: sample.rssBytes, detail: `resident memory ${mib(sample.rssBytes)} over the limit of ${mib(limits.memoryBytes)}` },
    };
  }
  if (limits.maxProcs !== null && sample.procs > limits.maxProcs) {
    return {
      state: next,
      breach: { limit: 'procs', threshold: limits.maxProcs, value: sample.procs, detail: `${sample.procs} processes, over the limit of ${limits.maxProcs}` },
    };
  }
  const first = cpu[0]!;
  const span = sample.atMs - first.atMs;
  if (limits.cpuPercent !== null && span >= cpuSustainMs && span > 0) {
    const percent = ((now.ticks - first.ticks) / CLK_TCK / (span / 1000)) * 100;
    if (percent > limits.cpuPercent) {
      return {
        state: next,
        breach: {
          limit: 'cpu',
          threshold: limits.cpuPercent,
          value: percent,
          detail: `${percent.toFixed(0)}% of one core over ${(span / 1000).toFixed(1)} s, over the limit of ${limits.cpuPercent}%`,
        },
      };
    }
  }
  return { state: next, breach: null };
};

/**
 * What the kernel reported about a job in a cgroup, as a breach. `exitedByKill`: the
 * job's first process died of SIGKILL, which with a failure count (v1 without an
 * oom_kill counter) is the OOM killer's mark.
 */
export const judgeCgroupEvents = (limits: JobLimits, events: CgroupEvents, exitedByKill: boolean): Breach | null => {
  if (limits.memoryBytes !== null && (events.oomKills > 0 || (exitedByKill && events.memoryFailures > 0))) {
    const how = events.oomKills > 0 ? `${events.oomKills} process(es) OOM-killed by the kernel` : 'killed by the kernel at the limit';
    return { limit: 'memory', threshold: limits.memoryBytes, value: limits.memoryBytes, detail: `memory limit of ${mib(limits.memoryBytes)} reached in the job's cgroup: ${how}` };
  }
  if (limits.maxProcs !== null && events.forksRefused > 0) {
    return { limit: 'procs', threshold: limits.maxProcs, value: limits.maxProcs, detail: `process limit of ${limits.maxProcs} reached in the job's cgroup: ${events.forksRefused} fork(s) refused` };
  }
  return null;
};
