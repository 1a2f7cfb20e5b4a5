/**
 * Load averages and task counts from `<procroot>/loadavg`:
 * `1.18 0.63 0.42 2/118 11867` → load1 load5 load15 running/total last-pid.
 */
import type { Host } from '../host/host.js';
import type { LoadSample } from '../model/metrics.js';
import { CollectorError } from '../errors.js';
import type { PeriodicCollector } from './collector.js';

/** Pure: loadavg text → sample. Throws a CollectorError quoting the text when malformed. */
export const parseLoadavg = (text: string): LoadSample => {
  const m = /^\s*(\d+(?:\.\d+)?)\s+(\d+(?:\.\d+)?)\s+(\d+(?:\.\d+)?)\s+(\d+)\/(\d+)(?:\s|$)/.exec(text);
  if (!m) throw new CollectorError('load', `loadavg: expected "l1 l5 l15 running/total pid", got "${text.trim()}"`);
  return {
    load1: Number(m[1]),
    load5: Number(m[2]),
    load15: Number(m[3]),
    runningTasks: Number(m[4]),
    totalTasks: Number(m[5]),
  };
};

/** The load collector. */
export const createLoadCollector = (): PeriodicCollector<'load', LoadSample> => ({
  name: 'load',
  read: async (host: Host) => parseLoadavg(host.readProcSync('loadavg')),
  derive: (_prev, cur) => cur,
});
