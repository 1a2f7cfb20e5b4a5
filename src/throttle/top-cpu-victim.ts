/**
 * The default victim of a CPU cap until the process-actions part's victim choice is
 * wired in: the incident's own pids first (a cpu_usage incident names its top
 * processes, busiest first), else the busiest process over a short sample of the
 * process table; never one `spare` refuses, each skip said.
 */
import { firstValueFrom, timer, type SchedulerLike } from 'rxjs';
import type { Host } from '../host/host.js';
import type { Incident } from '../model/incident.js';
import { deriveProcesses, readProcessTable } from '../collectors/processes.js';

export interface VictimDeps {
  host: Host;
  spare: (pid: number) => string | null;
  scheduler: SchedulerLike;
  /** how long the table is sampled when the incident names no pid; default 250 ms */
  sampleMs?: number;
  /** told each process passed over, and why */
  onSkip?: (pid: number, reason: string) => void;
}

/** The pid to cap for `incident`, or why there is none. */
export const topCpuVictim = async (incident: Incident, deps: VictimDeps): Promise<number | string> => {
  const ok = (pid: number) => {
    if (pid === deps.host.pid) return false;
    const why = deps.spare(pid);
    if (why) deps.onSkip?.(pid, why);
    return why === null;
  };
  for (const pid of incident.metadata.pids ?? []) if (ok(pid)) return pid;
  const sampleMs = deps.sampleMs ?? 250;
  const first = await readProcessTable(deps.host);
  await firstValueFrom(timer(sampleMs, deps.scheduler));
  const second = await readProcessTable(deps.host);
  const top = deriveProcesses(first, second, sampleMs, 10).topByCpu.filter((p) => p.cpuPercent > 0);
  for (const p of top) if (ok(p.pid)) return p.pid;
  return top.length === 0 ? 'no process used CPU' : 'every busy process is spared';
};
