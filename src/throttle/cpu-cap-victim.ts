/**
 * The process a CPU cap holds: the busiest one over a fresh short sample of the process
 * table, chosen as freeze_top_process chooses (actions/choose-victims.ts: never one the
 * never-touched rule spares, each skip said). Not the incident's own pids: those come
 * from a top list that can be a collector interval old and name a recycled pid.
 */
import type { Host } from '../host/host.js';
import type { Incident } from '../model/incident.js';
import type { Logger } from '../log/logger.js';
import { chooseVictims } from '../actions/choose-victims.js';
import { DEFAULT_CPU_SAMPLE_MS, readProcessView } from '../actions/process-view.js';
import { spareFrom } from '../actions/spare.js';
import { DEFAULT_MIN_CPU } from '../actions/registry.js';

export interface CpuCapVictimDeps {
  host: Host;
  /** waits on the pipeline's scheduler between the two reads */
  wait: (ms: number) => Promise<void>;
  /** process_whitelist */
  whitelist: readonly string[];
  logger: Logger;
}

/** The pid to cap for an incident, or why there is none. */
export const cpuCapVictim =
  (deps: CpuCapVictimDeps) =>
  async (incident: Incident): Promise<number | string> => {
    const view = await readProcessView(deps.host, DEFAULT_CPU_SAMPLE_MS, deps.wait);
    const { victims, skipped } = chooseVictims(view, { order: 'cpu', count: 1, minCpu: DEFAULT_MIN_CPU, spare: spareFrom(view, { whitelist: deps.whitelist }) });
    for (const s of skipped) deps.logger.info('rate_limit: process spared', { pid: s.pid, name: s.name, reason: s.reason, incident: incident.name });
    if (victims[0]) return victims[0].pid;
    return skipped.length > 0 ? 'every busy process is spared' : `no process used ${DEFAULT_MIN_CPU}% of a CPU or more`;
  };
