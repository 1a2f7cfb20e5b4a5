/**
 * The process table: how many processes, and the top N by CPU and by memory, from
 * `<procroot>/[pid]/stat` (one small read per pid: rss, times, state, ppid, name are
 * all in it) and `<procroot>/[pid]/status` only for the few top processes (for the uid).
 *
 * CPU% is per process, from utime+stime deltas between two reads of the table (a process
 * is known by pid *and* start time, so a recycled pid never yields a bogus delta). On the
 * first read there is no delta: `topByCpu` is empty (unknown, not "all idle"), count and
 * memory are real. Processes that exit while being read are normal and skipped silently.
 *
 * The table is read every 15 s by default (its interval under `collectors:`), not every
 * check_interval: one file per process is ~90 % of a collection cycle, most of what an
 * idle agent does, and top lists over 15 s are as telling. The snapshots in between hold
 * the latest sample, with its age.
 *
 * The per-pid files are read synchronously (Host.readProcSync): an async readFile costs
 * several thread-pool round trips for a 200-byte file and queues every other collector
 * behind it. Measured on the dev machine: 85 stat files ~8 ms async, ~1 ms sync. The
 * event loop is held ~12 µs per process (about 25 ms for 2,000 processes, once a read).
 */
import type { Host } from '../host/host.js';
import type { ProcessInfo, ProcessSample } from '../model/metrics.js';
import type { PeriodicCollector } from './collector.js';
import { processTreeFacts } from './process-tree-facts.js';

/** USER_HZ: the kernel reports process times in 1/100 s to userspace on every Linux arch. */
export const CLK_TCK = 100;
/** rss in /proc/[pid]/stat is in pages. */
export const PAGE_SIZE = 4096;

export interface ProcStat {
  pid: number;
  ppid: number;
  /** process group (stat field 5): a fork bomb's members keep it when reparented */
  pgid: number;
  /** session (stat field 6) */
  sid: number;
  name: string;
  state: string;
  /** utime + stime, in clock ticks */
  cpuTicks: number;
  /** start time after boot, in clock ticks: with pid, identifies one process */
  startTicks: number;
  rssBytes: number;
}

/**
 * Pure: parses one /proc/[pid]/stat line, or null when malformed. The name (comm) sits
 * in parentheses and may itself hold spaces and `)`, so it runs to the LAST `)`.
 */
export const parsePidStat = (text: string): ProcStat | null => {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  const pid = Number(text.slice(0, open));
  const rest = text.slice(close + 2).split(' ');
  // rest[0] is field 3 (state); field n is rest[n - 3].
  if (rest.length < 22 || !Number.isInteger(pid)) return null;
  const ppid = Number(rest[1]);
  const pgid = Number(rest[2]);
  const sid = Number(rest[3]);
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  const start = Number(rest[19]);
  const rss = Number(rest[21]);
  if (![ppid, pgid, sid, utime, stime, start, rss].every(Number.isFinite)) return null;
  return {
    pid,
    ppid,
    pgid,
    sid,
    name: text.slice(open + 1, close),
    state: rest[0],
    cpuTicks: utime + stime,
    startTicks: start,
    rssBytes: rss * PAGE_SIZE,
  };
};

/** Pure: the real uid from a /proc/[pid]/status text (`Uid:\treal\teffective\t...`), or -1. */
export const parseStatusUid = (text: string): number => {
  const m = /^Uid:\s+(\d+)/m.exec(text);
  return m ? Number(m[1]) : -1;
};

export interface ProcessTable {
  /** by pid */
  processes: Map<number, ProcStat>;
}

const byCpu = (a: ProcessInfo, b: ProcessInfo) => b.cpuPercent - a.cpuPercent || b.rssBytes - a.rssBytes;
const byMemory = (a: ProcessInfo, b: ProcessInfo) => b.rssBytes - a.rssBytes || b.cpuPercent - a.cpuPercent;

/** Keeps the `n` largest by `compare` (partial selection: the table can be thousands long). */
const topN = <T>(items: T[], n: number, compare: (a: T, b: T) => number): T[] => {
  if (items.length <= n * 4) return items.slice().sort(compare).slice(0, n);
  const top: T[] = [];
  for (const it of items) {
    if (top.length < n) {
      top.push(it);
      if (top.length === n) top.sort(compare);
    } else if (compare(it, top[n - 1]) < 0) {
      let i = n - 1;
      while (i > 0 && compare(it, top[i - 1]) < 0) i--;
      top.splice(i, 0, it);
      top.pop();
    }
  }
  return top.length < n ? top.sort(compare) : top;
};

/**
 * Pure: the process sample between two tables. uid is -1 here; the collector's
 * `complete` step fills it for the processes it returns.
 */
export const deriveProcesses = (
  prev: ProcessTable | undefined,
  cur: ProcessTable,
  elapsedMs: number,
  n: number,
): ProcessSample => {
  const infos: ProcessInfo[] = [];
  const seconds = elapsedMs / 1000;
  for (const p of cur.processes.values()) {
    const before = prev?.processes.get(p.pid);
    const same = before !== undefined && before.startTicks === p.startTicks;
    const cpuPercent =
      same && seconds > 0 ? (Math.max(0, p.cpuTicks - before.cpuTicks) / CLK_TCK / seconds) * 100 : 0;
    infos.push({ pid: p.pid, ppid: p.ppid, name: p.name, uid: -1, state: p.state, cpuPercent, rssBytes: p.rssBytes });
  }
  return {
    count: cur.processes.size,
    topByCpu: prev && seconds > 0 ? topN(infos, n, byCpu) : [],
    topByMemory: topN(infos, n, byMemory),
    // zombies and process trees for the anomaly rules (process-tree-facts.ts)
    ...processTreeFacts(cur.processes, prev?.processes),
  };
};

/** A per-pid proc file, or null when the process is gone (ENOENT, ESRCH) or unreadable. */
const readPidFile = (host: Host, pid: number | string, file: string): string | null => {
  try {
    return host.readProcSync(pid, file);
  } catch {
    return null;
  }
};

/** Reads every `<procroot>/[pid]/stat`; pids that vanish mid-read are skipped. */
export const readProcessTable = async (host: Host): Promise<ProcessTable> => {
  const names = host.listProcSync();
  const processes = new Map<number, ProcStat>();
  for (const entry of names) {
    const c = entry.charCodeAt(0);
    if (c < 48 || c > 57) continue; // not a pid directory
    const text = readPidFile(host, entry, 'stat');
    const p = text === null ? null : parsePidStat(text);
    if (p) processes.set(p.pid, p);
  }
  // A real procfs always lists at least this process: none at all means this root has
  // no process table (a fixture, a partial mount): "no data here", not an empty host.
  if (processes.size === 0 && !names.some((n) => /^\d+$/.test(n))) {
    throw Object.assign(new Error(`no process directories under ${host.procRoot}`), {
      code: 'ENOENT',
      path: host.procPath('[pid]', 'stat'),
    });
  }
  return { processes };
};

/** Fills the uid of the listed processes from their status files; those that exited are dropped. */
export const completeUids = async (host: Host, sample: ProcessSample): Promise<ProcessSample> => {
  const uids = new Map<number, number | null>();
  for (const p of [...sample.topByCpu, ...sample.topByMemory]) {
    if (uids.has(p.pid)) continue;
    const text = readPidFile(host, p.pid, 'status');
    uids.set(p.pid, text === null ? null : parseStatusUid(text));
  }
  const fill = (list: ProcessInfo[]) =>
    list.flatMap((p) => {
      const uid = uids.get(p.pid);
      return uid === null || uid === undefined ? [] : [{ ...p, uid }];
    });
  return { ...sample, topByCpu: fill(sample.topByCpu), topByMemory: fill(sample.topByMemory) };
};

export interface ProcessesOptions {
  /** how many processes each top list holds (default 10) */
  top?: number;
  /** ms between two reads of the process table (default 15 000) */
  intervalMs?: number;
}

/** Default of ProcessesOptions.intervalMs: CPU shares over 15 s, count at most 15 s old. */
export const DEFAULT_PROCESS_TABLE_INTERVAL_MS = 15_000;

/** The processes collector. */
export const createProcessesCollector = (
  options: ProcessesOptions = {},
): PeriodicCollector<'processes', ProcessTable> => {
  const n = options.top ?? 10;
  return {
    name: 'processes',
    intervalMs: options.intervalMs ?? DEFAULT_PROCESS_TABLE_INTERVAL_MS,
    read: readProcessTable,
    derive: (prev, cur, elapsedMs) => deriveProcesses(prev, cur, elapsedMs, n),
    complete: completeUids,
  };
};
