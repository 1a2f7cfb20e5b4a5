/**
 * The incident's top processes, as every action that picks "the top process" picks them
 * (freeze_top_process, kill_process, rate_limit's CPU cap): a fresh view of the table
 * (two reads for CPU shares; one for a memory incident), the never-touched rule over it,
 * and chooseVictims' order. One place, so the three never disagree on who the top is.
 */
import type { Incident } from '../model/incident.js';
import type { Host } from '../host/host.js';
import { chooseVictims, orderFor, type VictimChoice, type VictimOrder } from './choose-victims.js';
import { DEFAULT_CPU_SAMPLE_MS, readProcessView, type ProcessView } from './process-view.js';
import { spareFrom, type Spare } from './spare.js';

export interface TopVictimsOptions {
  count?: number;
  minCpu?: number;
  prefer?: RegExp;
  avoid?: RegExp;
  /** process_whitelist */
  whitelist?: readonly string[];
  /** default: by the incident (orderFor) */
  order?: VictimOrder;
  /** ms between the two table reads behind CPU % */
  cpuSampleMs?: number;
}

export interface TopVictims {
  view: ProcessView;
  spare: Spare;
  chosen: VictimChoice;
}

export const chooseTopVictims = async (
  deps: { host: Host; wait: (ms: number) => Promise<void> },
  incident: Incident,
  o: TopVictimsOptions,
): Promise<TopVictims> => {
  const order = o.order ?? orderFor(incident.metadata.monitorType);
  const view = await readProcessView(deps.host, order === 'cpu' ? (o.cpuSampleMs ?? DEFAULT_CPU_SAMPLE_MS) : 0, deps.wait);
  const spare = spareFrom(view, { whitelist: o.whitelist });
  return { view, spare, chosen: chooseVictims(view, { order, count: o.count ?? 1, minCpu: o.minCpu, prefer: o.prefer, avoid: o.avoid, spare }) };
};
