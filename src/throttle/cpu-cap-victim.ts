/**
 * The process a CPU cap holds: the busiest one over a fresh short sample of the process
 * table, chosen as freeze_top_process chooses (actions/choose-victims.ts: never one the
 * never-touched rule spares, each skip said). Not the incident's own pids: those come
 * from a top list that can be a collector interval old and name a recycled pid.
 */
import type { Host } from '../host/host.js';
import type { Incident } from '../model/incident.js';
import type { Logger } from '../log/logger.js';
import { chooseTopVictims } from '../actions/top-victims.js';
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
    const { victims, skipped } = (await chooseTopVictims(deps, incident, { order: 'cpu', minCpu: DEFAULT_MIN_CPU, whitelist: deps.whitelist })).chosen;
    for (const s of skipped) deps.logger.info('rate_limit: process spared', { pid: s.pid, name: s.name, reason: s.reason, incident: incident.name });
    if (victims[0]) return victims[0].pid;
    return skipped.length > 0 ? 'every busy process is spared' : `no process used ${DEFAULT_MIN_CPU}% of a CPU or more`;
  };
