/**
 * Samples a job's processes from the process table (through the Host's proc root):
 * members by job-tree.ts, their count, summed RSS, and the CPU ticks they used since the
 * previous sample. Keeps the previous table between calls; nothing else.
 */
import { readProcessTable, type ProcStat } from '../collectors/processes.js';
import type { Host } from '../host/host.js';
import type { JobSample } from './job-breach.js';
import { trackJobTree } from './job-tree.js';

export interface JobProcSampler {
  sample(): Promise<JobSample>;
  /** members at the last sample: pid → start ticks */
  members(): ReadonlyMap<number, number>;
}

export const createJobProcSampler = (host: Host, rootPid: number): JobProcSampler => {
  let members = new Map<number, number>();
  let previous = new Map<number, ProcStat>();
  return {
    sample: async () => {
      const { processes } = await readProcessTable(host);
      members = trackJobTree(rootPid, processes, members);
      let rssBytes = 0;
      let cpuTicksDelta = 0;
      let procs = 0;
      for (const pid of members.keys()) {
        const p = processes.get(pid)!;
        // A zombie holds no memory and runs nothing: it is not counted against the job.
        if (p.state === 'Z') continue;
        procs += 1;
        rssBytes += p.rssBytes;
        const before = previous.get(pid);
        if (before && before.startTicks === p.startTicks) cpuTicksDelta += Math.max(0, p.cpuTicks - before.cpuTicks);
      }
      previous = processes;
      return { atMs: host.monotonicMs(), procs, rssBytes, cpuTicksDelta };
    },
    members: () => members,
  };
};
