/**
 * Memory and swap from `<procroot>/meminfo`. Used memory is `MemTotal − MemAvailable`
 * (what the kernel estimates could be handed out without swapping), not `− MemFree`,
 * which would count page cache as used and cry wolf on every healthy server.
 */
import type { Host } from '../host/host.js';
import type { MemorySample } from '../model/metrics.js';
import { CollectorError } from '../errors.js';
import type { PeriodicCollector } from './collector.js';

/**
 * Parses meminfo into bytes by key (`MemTotal` → bytes). Lines that are not `Key: N [kB]`
 * are skipped: kernels add fields, and only the few we use must be there (checked below).
 */
export const parseMeminfo = (text: string): Map<string, number> => {
  const out = new Map<string, number>();
  const lines = text.split('\n');
  for (const line of lines) {
    const m = /^([A-Za-z0-9_()]+):\s+(\d+)(?:\s+(kB))?\s*$/.exec(line);
    if (!m) continue;
    out.set(m[1], Number(m[2]) * (m[3] ? 1024 : 1));
  }
  return out;
};

const pct = (part: number, whole: number) => (whole > 0 ? (part / whole) * 100 : 0);

/** Pure: the memory sample from parsed meminfo. */
export const memorySampleFrom = (info: Map<string, number>): MemorySample => {
  const total = info.get('MemTotal');
  if (total === undefined || total === 0) throw new CollectorError('memory', 'meminfo: no "MemTotal: N kB" line');
  // MemAvailable appeared in Linux 3.14; before it, free + buffers + page cache is the usual estimate.
  const available =
    info.get('MemAvailable') ?? (info.get('MemFree') ?? 0) + (info.get('Buffers') ?? 0) + (info.get('Cached') ?? 0);
  const used = Math.max(0, total - available);
  const swapTotal = info.get('SwapTotal') ?? 0;
  const swapUsed = Math.max(0, swapTotal - (info.get('SwapFree') ?? swapTotal));
  return {
    totalBytes: total,
    availableBytes: available,
    usedBytes: used,
    usagePercent: pct(used, total),
    swapTotalBytes: swapTotal,
    swapUsedBytes: swapUsed,
    swapUsagePercent: pct(swapUsed, swapTotal),
  };
};

/** Pure: meminfo text → sample. */
export const parseMemory = (text: string): MemorySample => memorySampleFrom(parseMeminfo(text));

/** The memory collector: no deltas, every reading is a sample. */
export const createMemoryCollector = (): PeriodicCollector<'memory', MemorySample> => ({
  name: 'memory',
  read: async (host: Host) => parseMemory(host.readProcSync('meminfo')),
  derive: (_prev, cur) => cur,
});
