/**
 * One sample of a running service's resource use, read only for the limits its entry
 * sets: the stat line is already read by the liveness check (CPU ticks, RSS); threads
 * come from `status`, open files from listing `fd/`, direct children from each thread's
 * `task/<tid>/children` (no process-table scan).
 */
import type { Host } from '../host/host.js';
import type { ProcStat } from '../collectors/processes.js';
import type { ProcessLimitsConfig } from '../config/schema.js';

export interface ServiceSample {
  service: string;
  pid: number;
  startTicks: number;
  /** unix ms (the scheduler's clock) */
  at: number;
  cpuTicks: number;
  rssBytes: number;
  /** only when the entry limits them; null: unreadable this time */
  openFiles?: number | null;
  threads?: number | null;
  children?: number | null;
}

/** Pure: `Threads:` from a /proc/<pid>/status text, or null. */
export const parseThreads = (status: string): number | null => {
  const m = /^Threads:\s+(\d+)/m.exec(status);
  return m ? Number(m[1]) : null;
};

/** Pure: how many pids a task's `children` file lists ("123 456 "). */
export const countChildren = (text: string): number => text.split(' ').filter((t) => t.length > 0).length;

const orNull = <T>(read: () => T): T | null => {
  try {
    return read();
  } catch {
    return null; // the process exited between two reads, or the file is not readable
  }
};

export const readUsage = (host: Host, service: string, stat: ProcStat, at: number, limits: ProcessLimitsConfig | undefined): ServiceSample => {
  const pid = stat.pid;
  const sample: ServiceSample = { service, pid, startTicks: stat.startTicks, at, cpuTicks: stat.cpuTicks, rssBytes: stat.rssBytes };
  if (limits?.open_files !== undefined) sample.openFiles = orNull(() => host.listProcSync(pid, 'fd').length);
  if (limits?.threads !== undefined) sample.threads = orNull(() => parseThreads(host.readProcSync(pid, 'status')));
  if (limits?.children !== undefined) {
    sample.children = orNull(() => host.listProcSync(pid, 'task').reduce((n, tid) => n + countChildren(host.readProcSync(pid, 'task', tid, 'children')), 0));
  }
  return sample;
};
