/**
 * CPU usage from `<procroot>/stat`: total and per-core jiffies, turned into busy,
 * iowait and steal shares by the delta between two readings.
 *
 * The first tick has only a baseline (jiffies since boot say nothing about *now*), so
 * it derives `null`: cpu rules do not evaluate on the first tick. That is not a
 * degradation and the stream does not report it as one. A counter that went backwards
 * (a CPU back from offline, a fixture reset) is handled the same way: a fresh baseline.
 */
import type { Host } from '../host/host.js';
import type { CpuSample } from '../model/metrics.js';
import { CollectorError } from '../errors.js';
import type { PeriodicCollector } from './collector.js';

/** Jiffies per state, as in the `cpu` lines of /proc/stat (guest time is already in user/nice). */
export interface CpuTimes {
  user: number;
  nice: number;
  system: number;
  idle: number;
  iowait: number;
  irq: number;
  softirq: number;
  steal: number;
}

export interface CpuStat {
  total: CpuTimes;
  /** By core number (`cpu3` → index 3); offline cores are holes (undefined). */
  perCore: (CpuTimes | undefined)[];
}

const fields = ['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal'] as const;

const parseTimes = (line: string, lineNo: number): CpuTimes => {
  const parts = line.trim().split(/\s+/);
  // Kernels before 2.6.11 had no steal column: at least user..softirq (7) must be there.
  if (parts.length < 8) throw new CollectorError('cpu', `stat line ${lineNo}: expected at least 7 counters, got "${line}"`);
  const times = {} as CpuTimes;
  fields.forEach((f, i) => {
    const raw = parts[i + 1];
    const v = raw === undefined ? 0 : Number(raw);
    if (!Number.isFinite(v) || v < 0) throw new CollectorError('cpu', `stat line ${lineNo}: ${f} is not a counter: "${raw}"`);
    times[f] = v;
  });
  return times;
};

/** Parses /proc/stat's `cpu` and `cpuN` lines. Throws a CollectorError naming the line when malformed. */
export const parseProcStat = (text: string): CpuStat => {
  let total: CpuTimes | undefined;
  const perCore: (CpuTimes | undefined)[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (!line.startsWith('cpu')) continue;
    if (line.startsWith('cpu ')) total = parseTimes(line, i + 1);
    else {
      const m = /^cpu(\d+)\s/.exec(line);
      if (m) perCore[Number(m[1])] = parseTimes(line, i + 1);
    }
  }
  if (!total) throw new CollectorError('cpu', 'stat: no aggregate "cpu " line');
  return { total, perCore };
};

const sum = (t: CpuTimes) => t.user + t.nice + t.system + t.idle + t.iowait + t.irq + t.softirq + t.steal;

interface Shares {
  busy: number;
  iowait: number;
  steal: number;
}

/** Busy / iowait / steal percentages between two readings, or null when a counter went backwards. */
export const cpuShares = (prev: CpuTimes, cur: CpuTimes): Shares | null => {
  const dTotal = sum(cur) - sum(prev);
  const dIdle = cur.idle - prev.idle;
  const dIowait = cur.iowait - prev.iowait;
  const dSteal = cur.steal - prev.steal;
  if (dTotal < 0 || dIdle < 0 || dIowait < 0 || dSteal < 0) return null;
  // No jiffy elapsed (two reads in the same 10 ms): nothing was busy that we can see.
  if (dTotal === 0) return { busy: 0, iowait: 0, steal: 0 };
  const pct = (v: number) => Math.min(100, Math.max(0, (v / dTotal) * 100));
  // iowait is idle time waiting on I/O, not busy time; steal is time the hypervisor took.
  return { busy: pct(dTotal - dIdle - dIowait), iowait: pct(dIowait), steal: pct(dSteal) };
};

/** Pure: the CPU sample between two /proc/stat readings; null on the first (baseline) reading. */
export const deriveCpu = (prev: CpuStat | undefined, cur: CpuStat): CpuSample | null => {
  if (!prev) return null;
  const total = cpuShares(prev.total, cur.total);
  if (!total) return null;
  const perCore: number[] = [];
  cur.perCore.forEach((core, i) => {
    const before = prev.perCore[i];
    if (!core) return;
    // A core that just came online has no baseline yet: report it idle this tick.
    perCore.push(before ? (cpuShares(before, core)?.busy ?? 0) : 0);
  });
  return { usagePercent: total.busy, perCore, iowaitPercent: total.iowait, stealPercent: total.steal };
};

/** Reads `<procroot>/stat`. */
export const readCpuStat = async (host: Host): Promise<CpuStat> => parseProcStat(host.readProcSync('stat'));

/** The cpu collector. */
export const createCpuCollector = (): PeriodicCollector<'cpu', CpuStat> => ({
  name: 'cpu',
  read: readCpuStat,
  derive: (prev, cur) => deriveCpu(prev, cur),
});
