/**
 * A snapshot's diagnostic bundle: the host at the moment of an incident, read by PanicMode
 * itself through the Host's proc root with the collectors' own readers and parsers, so it
 * works where `ps`, `ss` and `free` do not exist (a sidecar image) and says the same as
 * the metrics did.
 *
 * Sections (`capture:`, snapshot-config.ts): every process with its CPU share, RSS, state
 * and command line, and the top consumers by CPU and by memory (with their uid); TCP
 * connections by state and established ones per remote address (the network collector's
 * socket table); memory; load; the mount table with the usage of data mounts; PSI lines
 * (`pressure/{cpu,memory,io}`, as the kernel wrote them, where the kernel has them).
 * Each section is read on its own: one that fails or that this host lacks is named in
 * `unavailable` with why, and the others are still written.
 *
 * CPU: a process's share is measured between two reads of the process table
 * `cpuSampleMs` apart (the other sections are read in between), because during an incident
 * what matters is who burns CPU now; ticks since a process started would rank a week-old
 * daemon's average above the runaway of the last minute. Each process also carries its
 * CPU seconds since it started, from the same read.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { Host } from '../host/host.js';
import type { DiskUsageSample, LoadSample, MemorySample, ProcessInfo } from '../model/metrics.js';
import { CLK_TCK, completeUids, deriveProcesses, processInfos, readProcessTable, type ProcessTable } from '../collectors/processes.js';
import { readTcpTable } from '../collectors/network.js';
import { parseMemory } from '../collectors/memory.js';
import { parseLoadavg } from '../collectors/load.js';
import { readDiskUsage, readMountTable, type MountEntry } from '../collectors/disk-usage.js';
import { isNoDataError } from '../collectors/collector.js';
import { nextTurn } from '../host/next-turn.js';
import type { BundleSection } from './snapshot-config.js';

export interface BundleProcess {
  pid: number;
  ppid: number;
  name: string;
  state: string;
  /** share of one core over the bundle's CPU sample */
  cpuPercent: number;
  /** user + system CPU time since the process started */
  cpuSeconds: number;
  rssBytes: number;
  /** the arguments joined by spaces; `[name]` for a kernel thread (no command line), as ps shows it */
  cmdline: string;
}

export interface BundleConnections {
  /** every socket but LISTEN */
  total: number;
  byState: Record<string, number>;
  /** established connections per remote address, most first (loopback peers are not listed) */
  establishedPerRemoteIp: { ip: string; established: number }[];
}

export const pressureResources = ['cpu', 'memory', 'io'] as const;

export interface DiagnosticBundle {
  /** the sections asked for */
  sections: BundleSection[];
  /** section → why it is not in the bundle (a file this host lacks, a read that failed) */
  unavailable: Partial<Record<BundleSection, string>>;
  processCount?: number;
  /** ms between the two reads of the process table that the CPU shares span */
  cpuSampleMs?: number;
  top?: { byCpu: ProcessInfo[]; byMemory: ProcessInfo[] };
  connections?: BundleConnections;
  memory?: MemorySample;
  load?: LoadSample;
  mounts?: { table: MountEntry[]; usage: DiskUsageSample };
  /** resource → the lines of `pressure/<resource>` (`some avg10=… avg60=… avg300=… total=…`) */
  pressure?: Partial<Record<(typeof pressureResources)[number], string[]>>;
  /** every process, the busiest first */
  processes?: BundleProcess[];
}

export interface BundleOptions {
  sections: ReadonlySet<BundleSection>;
  /** ms between the two reads of the process table (the CPU shares' span) */
  cpuSampleMs: number;
  /** how many processes each top list holds */
  top: number;
  /** aborts the wait between the two table reads (the action's time limit) */
  signal?: AbortSignal;
}

/** Command lines read between two turns of the event loop (as the table scan does, processes.ts). */
const CMDLINES_PER_SLICE = 128;

/** The NUL-separated arguments of `<pid>/cmdline` joined by spaces, `[name]` when empty, '' when the process is gone. */
const cmdlineOf = (host: Host, pid: number, name: string): string => {
  let raw: string;
  try {
    raw = host.readProcSync(pid, 'cmdline');
  } catch {
    return '';
  }
  const args = raw.split('\0');
  if (args[args.length - 1] === '') args.pop();
  return args.length === 0 ? `[${name}]` : args.join(' ');
};

const readProcessList = async (host: Host, prev: ProcessTable, cur: ProcessTable, elapsedMs: number): Promise<BundleProcess[]> => {
  const infos = processInfos(prev, cur, elapsedMs).sort((a, b) => b.cpuPercent - a.cpuPercent || b.rssBytes - a.rssBytes || a.pid - b.pid);
  const out: BundleProcess[] = [];
  for (const [i, p] of infos.entries()) {
    if (i > 0 && i % CMDLINES_PER_SLICE === 0) await nextTurn();
    out.push({
      pid: p.pid,
      ppid: p.ppid,
      name: p.name,
      state: p.state,
      cpuPercent: Math.round(p.cpuPercent * 10) / 10,
      cpuSeconds: cur.processes.get(p.pid)!.cpuTicks / CLK_TCK,
      rssBytes: p.rssBytes,
      cmdline: cmdlineOf(host, p.pid, p.name),
    });
  }
  return out;
};

const readConnections = (host: Host): BundleConnections => {
  const table = readTcpTable(host);
  return {
    total: table.totalConnections,
    byState: table.connectionsByState,
    establishedPerRemoteIp: Object.entries(table.establishedPerRemoteIp)
      .map(([ip, established]) => ({ ip, established }))
      .sort((a, b) => b.established - a.established || (a.ip < b.ip ? -1 : 1)),
  };
};

const readPressure = (host: Host): NonNullable<DiagnosticBundle['pressure']> => {
  const out: NonNullable<DiagnosticBundle['pressure']> = {};
  let missing: unknown;
  for (const r of pressureResources) {
    try {
      out[r] = host.readProcSync('pressure', r).split('\n').map((l) => l.trim()).filter((l) => l !== '');
    } catch (err) {
      missing = err;
    }
  }
  if (Object.keys(out).length === 0) throw missing;
  return out;
};

/** Reads the sections asked for; never rejects for a section (it goes to `unavailable`), only when aborted. */
export const collectBundle = async (host: Host, options: BundleOptions): Promise<DiagnosticBundle> => {
  const wanted = options.sections;
  const bundle: DiagnosticBundle = { sections: [...wanted], unavailable: {} };
  const attempt = async <T>(section: BundleSection, read: () => T | Promise<T>): Promise<T | undefined> => {
    if (!wanted.has(section)) return undefined;
    try {
      return await read();
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      bundle.unavailable[section] = isNoDataError(err) ? `not on this host (${e.path ?? e.message})` : e.message;
      return undefined;
    }
  };

  const t0 = host.monotonicMs();
  const first = await attempt('processes', () => readProcessTable(host));
  bundle.connections = await attempt('connections', () => readConnections(host));
  bundle.memory = await attempt('memory', () => parseMemory(host.readProcSync('meminfo')));
  bundle.load = await attempt('load', () => parseLoadavg(host.readProcSync('loadavg')));
  bundle.mounts = await attempt('mounts', async () => ({ table: await readMountTable(host), usage: await readDiskUsage(host) }));
  bundle.pressure = await attempt('pressure', () => readPressure(host));
  if (first) {
    const left = options.cpuSampleMs - (host.monotonicMs() - t0);
    if (left > 0) await delay(left, undefined, { signal: options.signal });
    await attempt('processes', async () => {
      const cur = await readProcessTable(host);
      const elapsedMs = host.monotonicMs() - t0;
      const top = await completeUids(host, deriveProcesses(first, cur, elapsedMs, options.top));
      bundle.processCount = cur.processes.size;
      bundle.cpuSampleMs = Math.round(elapsedMs);
      bundle.top = { byCpu: top.topByCpu, byMemory: top.topByMemory };
      bundle.processes = await readProcessList(host, first, cur, elapsedMs);
    });
  }
  // absent sections are left out of the file rather than written as undefined
  for (const k of Object.keys(bundle) as (keyof DiagnosticBundle)[]) if (bundle[k] === undefined) delete bundle[k];
  return bundle;
};
