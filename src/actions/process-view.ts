/**
 * What a process action knows about the processes at the moment it acts: the table from
 * `readProcessTable` (read fresh: the processes collector's top lists can be 15 s old,
 * and a freeze must not hit whoever was busy a quarter of a minute ago), CPU % from two
 * reads of it `cpuSampleMs` apart, and the per-pid files (cmdline, status, stat, cgroup,
 * oom_score) read only for the pids a decision asks about, once each.
 *
 * Why two fresh reads rather than the incident's metrics: the snapshot's top lists are
 * the latest processes sample, up to its interval (15 s by default) old, and hold pids
 * that may have exited or been recycled since. Two reads 250 ms apart cost ~2 table
 * scans and give CPU shares at 4 % resolution (100 ticks/s), enough to tell a hog from
 * an idle process. A memory incident needs no CPU: one read.
 */
import type { Host } from '../host/host.js';
import { CLK_TCK, parsePidStat, parseStatusUid, readProcessTable, type ProcStat, type ProcessTable } from '../collectors/processes.js';

/** Default time between the two table reads behind CPU %. */
export const DEFAULT_CPU_SAMPLE_MS = 250;

export interface ProcessView {
  /** every process of the (second) read, by pid */
  readonly table: ReadonlyMap<number, ProcStat>;
  /** this process (PanicMode) */
  readonly selfPid: number;
  /** % of one core between the two reads; 0 when the view was read once */
  cpuPercent(pid: number): number;
  /** argv joined by spaces ('' for kernel threads and zombies; null when gone) */
  cmdline(pid: number): string | null;
  /** argv[0] as written (a login shell's starts with `-`); '' when none */
  argv0(pid: number): string;
  /** real uid, -1 when unknown */
  uid(pid: number): number;
  /** the process group (stat field 5), -1 when unknown */
  pgrp(pid: number): number;
  /** the /proc/[pid]/cgroup text, null when unreadable */
  cgroupText(pid: number): string | null;
  /** the kernel's oom_score (0-1000 scale, oom_score_adj included), -1 when unreadable */
  oomScore(pid: number): number;
}

const readOr = (host: Host, pid: number, file: string): string | null => {
  try {
    return host.readProcSync(pid, file);
  } catch {
    return null;
  }
};

const memo = <T>(f: (pid: number) => T): ((pid: number) => T) => {
  const cache = new Map<number, T>();
  return (pid) => {
    if (cache.has(pid)) return cache.get(pid)!;
    const v = f(pid);
    cache.set(pid, v);
    return v;
  };
};

/** Builds a view over an already read table (and an optional earlier one for CPU %). */
export const viewOf = (host: Host, cur: ProcessTable, prev?: { table: ProcessTable; elapsedMs: number }): ProcessView => {
  const rawCmdline = memo((pid) => readOr(host, pid, 'cmdline'));
  return {
    table: cur.processes,
    selfPid: host.pid,
    cpuPercent: (pid) => {
      const now = cur.processes.get(pid);
      const before = prev?.table.processes.get(pid);
      if (!now || !before || before.startTicks !== now.startTicks || !prev || prev.elapsedMs <= 0) return 0;
      return (Math.max(0, now.cpuTicks - before.cpuTicks) / CLK_TCK / (prev.elapsedMs / 1000)) * 100;
    },
    cmdline: (pid) => {
      const raw = rawCmdline(pid);
      return raw === null ? null : raw.replace(/\0+$/, '').split('\0').join(' ');
    },
    argv0: (pid) => (rawCmdline(pid) ?? '').split('\0')[0] ?? '',
    uid: memo((pid) => {
      const s = readOr(host, pid, 'status');
      return s === null ? -1 : parseStatusUid(s);
    }),
    pgrp: memo((pid) => {
      const s = readOr(host, pid, 'stat');
      return s === null ? -1 : (parsePidStat(s)?.pgid ?? -1);
    }),
    cgroupText: memo((pid) => readOr(host, pid, 'cgroup')),
    oomScore: memo((pid) => {
      const s = readOr(host, pid, 'oom_score');
      const n = s === null ? NaN : Number(s.trim());
      return Number.isFinite(n) ? n : -1;
    }),
  };
};

/**
 * Reads the view: once (`cpuSampleMs` 0: no CPU needed), or twice `cpuSampleMs` apart.
 * `wait` is the pause between the reads (the caller's clock).
 */
export const readProcessView = async (host: Host, cpuSampleMs: number, wait: (ms: number) => Promise<void>): Promise<ProcessView> => {
  if (cpuSampleMs <= 0) return viewOf(host, await readProcessTable(host));
  const t0 = host.monotonicMs();
  const first = await readProcessTable(host);
  await wait(cpuSampleMs);
  const t1 = host.monotonicMs();
  const second = await readProcessTable(host);
  return viewOf(host, second, { table: first, elapsedMs: t1 - t0 });
};

/**
 * A table that holds `known` and reads any other pid's stat file when asked (once):
 * for parts that read only some processes (the fork-bomb defence reads the young ones)
 * yet ask the never-touched rule about others (a member older than its read, PanicMode's
 * ancestors, a member's parent).
 */
class TableReadOnDemand extends Map<number, ProcStat> {
  private readonly looked = new Set<number>();
  constructor(
    private readonly host: Host,
    known: ReadonlyMap<number, ProcStat>,
  ) {
    super(known);
  }
  override get(pid: number): ProcStat | undefined {
    const p = super.get(pid);
    if (p !== undefined || this.looked.has(pid)) return p;
    this.looked.add(pid);
    const text = readOr(this.host, pid, 'stat');
    const read = text === null ? null : parsePidStat(text);
    if (read) super.set(pid, read);
    return read ?? undefined;
  }
}

/** A view over the processes already read, reading any other the caller asks about. */
export const viewReadingOnDemand = (host: Host, known: ReadonlyMap<number, ProcStat>): ProcessView =>
  viewOf(host, { processes: new TableReadOnDemand(host, known) });
