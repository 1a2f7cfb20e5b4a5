/**
 * The limits of one `panicmode exec` job, parsed from the command line. Pure: text in,
 * typed value or a message naming the option out. Sizes are binary (`512M` = 512 MiB)
 * like `docker --memory` and systemd's MemoryMax=; a percentage of memory is of the
 * host's MemTotal, resolved by the caller that knows it.
 */
import { parseDuration } from '../config/duration.js';
import { UsageError } from '../errors.js';

export interface JobLimits {
  /** ms, or null for no time limit */
  timeoutMs: number | null;
  /** percent of ONE core (100 = a full core, 200 = two cores), or null */
  cpuPercent: number | null;
  /** bytes, or null */
  memoryBytes: number | null;
  /** most processes (and threads, in a cgroup: pids counts tasks) at once, or null */
  maxProcs: number | null;
}

/** `--memory` before MemTotal is known: an absolute size or a share of the host's memory. */
export type MemorySpec = { bytes: number } | { percentOfTotal: number };

const sizeUnits: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** `50%` or `512M`/`1.5G`/`65536` (bytes) → a MemorySpec; throws a UsageError naming --memory. */
export const parseMemorySpec = (text: string): MemorySpec => {
  const pct = /^(\d+(?:\.\d+)?)%$/.exec(text.trim());
  if (pct) {
    const p = Number(pct[1]);
    if (!(p > 0 && p <= 100)) throw new UsageError(`--memory: a percentage must be above 0 and at most 100, got "${text}"`);
    return { percentOfTotal: p };
  }
  const size = /^(\d+(?:\.\d+)?)([kmgt]?)(?:i?b)?$/i.exec(text.trim());
  if (!size) throw new UsageError(`--memory: expected a size like 512M or 2G, or a percentage like 50%, got "${text}"`);
  const bytes = Math.floor(Number(size[1]) * sizeUnits[size[2]!.toLowerCase()]!);
  // Below a few MiB nothing starts at all (a shell alone maps ~1 MiB): almost surely a typo.
  if (bytes < 4 * 1024 ** 2) throw new UsageError(`--memory: at least 4M, got "${text}" (sizes are bytes unless suffixed K, M, G, T)`);
  return { bytes };
};

/** The spec in bytes, given the host's MemTotal in bytes. */
export const resolveMemory = (spec: MemorySpec, memTotalBytes: number): number =>
  'bytes' in spec ? spec.bytes : Math.floor((memTotalBytes * spec.percentOfTotal) / 100);

/** `50%` (of one core; `150%` = one and a half cores) → 50. */
export const parseCpuPercent = (text: string): number => {
  const m = /^(\d+(?:\.\d+)?)%$/.exec(text.trim());
  if (!m) throw new UsageError(`--cpu: expected a percentage of one core like 50% (200% = two cores), got "${text}"`);
  const p = Number(m[1]);
  // cpu.max takes a quota of at least 1 ms per 100 ms period: 1 % is the floor.
  if (!(p >= 1 && p <= 100_000)) throw new UsageError(`--cpu: expected 1% to 100000%, got "${text}"`);
  return p;
};

export const parseMaxProcs = (text: string): number => {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < 1) throw new UsageError(`--max-procs: expected a positive integer, got "${text}"`);
  return n;
};

export const parseTimeout = (text: string): number => {
  try {
    const ms = parseDuration(text);
    if (ms <= 0) throw new Error('must be above 0');
    return ms;
  } catch (err) {
    throw new UsageError(`--timeout: ${(err as Error).message}`);
  }
};
