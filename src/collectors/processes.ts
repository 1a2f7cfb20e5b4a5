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
 * How the table is read fast without holding the event loop: see readProcessTable.
 */
import type { Host } from '../host/host.js';
import { nextTurn } from '../host/next-turn.js';
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

const SPACE = 0x20;
/** The longest comm a stat line holds: a kernel thread's name, up to 64 bytes (a task's own is 15). */
const MAX_COMM_BYTES = 64;
const OPEN = 0x28; // (
const CLOSE = 0x29; // )

/**
 * Pure: reads the decimal field starting at `i` of a stat line (up to the next space or
 * the end): its value, or NaN when it is not an integer. Fields are short (≤ 20 digits)
 * and exact below 2^53, which every field we read is (ticks, pages, pids).
 */
const decimalAt = (b: Uint8Array, i: number, end: number): number => {
  let negative = false;
  if (b[i] === 0x2d) {
    negative = true;
    i++;
  }
  let value = 0;
  let digits = 0;
  for (; i < end && b[i] !== SPACE && b[i] !== 0x0a; i++, digits++) {
    const d = b[i] - 0x30;
    if (d < 0 || d > 9) return NaN;
    value = value * 10 + d;
  }
  return digits === 0 ? NaN : negative ? -value : value;
};

/**
 * Pure: parses one /proc/[pid]/stat line held in `b[0, length)`, or null when malformed.
 * It works on the bytes as read (no string per line, no split into 50 fields): the
 * table scan parses thousands of these per read. The name (comm) sits in parentheses
 * and may itself hold spaces and `)`, so it runs to the LAST `)`.
 */
export const parsePidStatBytes = (b: Buffer, length: number): ProcStat | null => {
  // Bytes past `length` are a longer line read before into the same buffer: never look there.
  const open = b.indexOf(OPEN);
  if (open < 1 || open >= length) return null;
  // the last `)` within the longest comm (64 bytes), not within the 30 fields after it
  let close = Math.min(length - 1, open + 1 + MAX_COMM_BYTES);
  while (close > open && b[close] !== CLOSE) close--;
  if (close <= open || close + 2 >= length) return null;
  const pid = decimalAt(b, 0, open);
  // Field 3 (state) starts after ") "; walk the spaces to the fields we need.
  const state = String.fromCharCode(b[close + 2]);
  let ppid = NaN;
  let pgid = NaN;
  let sid = NaN;
  let utime = NaN;
  let stime = NaN;
  let start = NaN;
  let rss = NaN;
  let field = 3;
  for (let i = close + 2; i < length && field <= 24; i++) {
    if (b[i] !== SPACE) continue;
    field++;
    if (field === 4) ppid = decimalAt(b, i + 1, length);
    else if (field === 5) pgid = decimalAt(b, i + 1, length);
    else if (field === 6) sid = decimalAt(b, i + 1, length);
    else if (field === 14) utime = decimalAt(b, i + 1, length);
    else if (field === 15) stime = decimalAt(b, i + 1, length);
    else if (field === 22) start = decimalAt(b, i + 1, length);
    else if (field === 24) rss = decimalAt(b, i + 1, length);
  }
  // NaN (a missing or malformed field) spreads through the sum: one check for all seven
  if (!Number.isInteger(pid) || pid < 0 || !Number.isFinite(ppid + pgid + sid + utime + stime + start + rss)) return null;
  return {
    pid,
    ppid,
    pgid,
    sid,
    name: b.toString('utf8', open + 1, close),
    state,
    cpuTicks: utime + stime,
    startTicks: start,
    rssBytes: rss * PAGE_SIZE,
  };
};

/** Pure: parses one /proc/[pid]/stat line given as text (see parsePidStatBytes), or null when malformed. */
export const parsePidStat = (text: string): ProcStat | null => {
  const bytes = Buffer.from(text, 'utf8');
  return parsePidStatBytes(bytes, bytes.length);
};

/** Pure: the real uid from a /proc/[pid]/status text (`Uid:\treal\teffective\t...`), or -1. */
export const parseStatusUid = (text: string): number => {
  const m = /^Uid:\s+(\d+)/m.exec(text);
  return m ? Number(m[1]) : -1;
};

/** What a /proc/[pid]/status says of a process that its stat line also says (no times), and its real uid. */
export type StatusFacts = Pick<ProcStat, 'pid' | 'ppid' | 'pgid' | 'sid' | 'name' | 'state' | 'rssBytes'> & { uid: number };

const statusField = (text: string, key: string): string | undefined => {
  const at = text.indexOf(`\n${key}:`);
  if (at === -1) return undefined;
  const end = text.indexOf('\n', at + key.length + 2);
  return text.slice(at + key.length + 2, end === -1 ? text.length : end).trim();
};

/**
 * Pure: the stat-line facts of a /proc/[pid]/status text, or null when malformed. The
 * ids are the first of `NSpid`/`NSpgid`/`NSsid` (the proc mount's pid namespace, as the
 * directory names are); `Name` is unescaped (`\n`, `\\`). Why read status at all: it is
 * generated without waiting on the process, where stat waits for a process that is
 * forking or exec'ing (see src/processes/fork-bomb-defence.ts).
 */
export const parsePidStatus = (text: string): StatusFacts | null => {
  const first = (key: string) => Number((statusField(text, key) ?? '').split(/\s+/)[0] || NaN);
  const nameAt = text.startsWith('Name:') ? text.indexOf('\n') : -1;
  const pid = first('NSpid');
  const ppid = first('PPid');
  const pgid = first('NSpgid');
  const sid = first('NSsid');
  const uid = first('Uid');
  const state = (statusField(text, 'State') ?? '').charAt(0);
  if (nameAt === -1 || state === '' || ![pid, ppid, pgid, sid, uid].every(Number.isInteger)) return null;
  const rssKb = Number((statusField(text, 'VmRSS') ?? '0 kB').split(/\s+/)[0]);
  return {
    pid,
    ppid,
    pgid,
    sid,
    name: text.slice(5, nameAt).trim().replace(/\\(n|\\)/g, (_, c: string) => (c === 'n' ? '\n' : '\\')),
    state,
    rssBytes: Number.isFinite(rssKb) ? rssKb * 1024 : 0,
    uid,
  };
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
 * Pure: every process of `cur` with its CPU share since `prev` (0 for one `prev` lacks or
 * whose pid was recycled, and for all on a first read). uid is -1 here: status files are
 * read only for the few processes someone asks about (completeUids).
 */
export const processInfos = (prev: ProcessTable | undefined, cur: ProcessTable, elapsedMs: number): ProcessInfo[] => {
  const infos: ProcessInfo[] = [];
  const seconds = elapsedMs / 1000;
  for (const p of cur.processes.values()) {
    const before = prev?.processes.get(p.pid);
    const same = before !== undefined && before.startTicks === p.startTicks;
    const cpuPercent =
      same && seconds > 0 ? (Math.max(0, p.cpuTicks - before.cpuTicks) / CLK_TCK / seconds) * 100 : 0;
    infos.push({ pid: p.pid, ppid: p.ppid, name: p.name, uid: -1, state: p.state, cpuPercent, rssBytes: p.rssBytes });
  }
  return infos;
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
  const infos = processInfos(prev, cur, elapsedMs);
  return {
    count: cur.processes.size,
    topByCpu: prev && elapsedMs > 0 ? topN(infos, n, byCpu) : [],
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

/**
 * One stat line is well under 1 KiB (52 short fields and a comm of at most 64 bytes):
 * procfs hands it over in one read call, which this buffer always holds.
 */
const STAT_BYTES = 4096;
// One buffer for every scan: each file is read and parsed with no await in between, so
// scans that interleave (the collector and a snapshot) never share it mid-parse.
const statBuffer = Buffer.allocUnsafe(STAT_BYTES);

/** A pid's stat, parsed, or null when the process is gone (ENOENT, ESRCH) or the file unreadable. */
const readStat = (host: Host, pid: string): ProcStat | null => {
  try {
    return parsePidStatBytes(statBuffer, host.readProcBytesSync(statBuffer, pid, 'stat'));
  } catch {
    return null;
  }
};

/**
 * Directory entries handled between two yields to the event loop: ~1.5 ms of listing and
 * reading on the dev machine, so an SSH failure line or a timer never waits behind the
 * table for longer than that.
 */
const ENTRIES_PER_SLICE = 128;

/**
 * Reads every `<procroot>/[pid]/stat`; pids that vanish mid-read are skipped.
 *
 * The scan is the agent's biggest read: one open/read/close per process (~10 µs of system
 * calls each on the dev VM: the floor), and the proc root's listing (~5 ms for 5,000
 * pids as one readdir, through the Host). Each stat is read into one reused buffer and
 * parsed as bytes (parsePidStatBytes), and the walk yields to the event loop every
 * ENTRIES_PER_SLICE entries: the loop is never held for the whole table (test/bench/process-scan.bench.ts,
 * 5,000 processes). Why not a worker thread: it would cost the agent a second V8
 * isolate for good (an idle worker measured +10 MB of RSS, against ~60 MB for the whole
 * agent) and a module each way PanicMode runs (sources, tsc output, bundle) must locate,
 * to spare the loop slices of ~1.5 ms it already gets back; the system calls, most of
 * the time, would be no faster there.
 */
export const readProcessTable = async (host: Host): Promise<ProcessTable> => {
  // Listed and read through the Host, like every read of the proc root: a Host may narrow what
  // it shows (a test's own children, a sidecar's mount), and the table must follow it.
  const names = host.listProcSync();
  const processes = new Map<number, ProcStat>();
  let sawPidDirectory = false;
  let inSlice = 0;
  for (const name of names) {
    if (++inSlice > ENTRIES_PER_SLICE) {
      inSlice = 1;
      await nextTurn();
    }
    const c = name.charCodeAt(0);
    if (c < 48 || c > 57) continue; // not a pid directory
    sawPidDirectory = true;
    const p = readStat(host, name);
    if (p) processes.set(p.pid, p);
  }
  // A real procfs always lists at least this process: none at all means this root has
  // no process table (a fixture, a partial mount): "no data here", not an empty host.
  if (!sawPidDirectory) {
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
