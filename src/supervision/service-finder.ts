/**
 * Finding a supervised service's process. The hot path is `stillRunning`: one read of
 * `<procroot>/<pid>/stat` for the instance already known (pid and start time, so a
 * recycled pid is not mistaken for the service). Only when that instance is gone does
 * `findService` look again — by pidfile (one file and one stat), or by cmdline regex or
 * name over the process table — so an idle agent with running services never scans it.
 */
import { readFileSync } from 'node:fs';
import type { Host } from '../host/host.js';
import { parsePidStat, readProcessTable, type ProcStat } from '../collectors/processes.js';

/** How an entry is found (schema: one of pidfile, cmdline, match; default match = name). */
export type ServiceFinder = { pidfile: string } | { cmdline: RegExp } | { match: string };

export const finderOf = (entry: { name: string; pidfile?: string; cmdline?: string; match?: string }): ServiceFinder =>
  entry.pidfile !== undefined ? { pidfile: entry.pidfile } : entry.cmdline !== undefined ? { cmdline: new RegExp(entry.cmdline) } : { match: entry.match ?? entry.name };

/** One process: pid and start time identify it. */
export interface Instance {
  pid: number;
  startTicks: number;
}

const statOf = (host: Host, pid: number): ProcStat | null => {
  try {
    return parsePidStat(host.readProcSync(pid, 'stat'));
  } catch {
    return null; // gone (ENOENT/ESRCH)
  }
};

/** A process that exited but is not reaped yet (Z) or is dying (X) is not running. */
const running = (s: ProcStat | null): s is ProcStat => s !== null && s.state !== 'Z' && s.state !== 'X';

/** The instance's stat when that very process is still running, else null. */
export const stillRunning = (host: Host, instance: Instance): ProcStat | null => {
  const s = statOf(host, instance.pid);
  return running(s) && s.startTicks === instance.startTicks ? s : null;
};

/** The running process with this pid (whatever its start time), or null. */
export const runningPid = (host: Host, pid: number): ProcStat | null => {
  const s = statOf(host, pid);
  return running(s) ? s : null;
};

/** Pure: a pidfile's text to a pid (first token), or null. */
export const parsePidfile = (text: string): number | null => {
  const m = /^\s*(\d+)/.exec(text);
  const pid = m ? Number(m[1]) : NaN;
  return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
};

/** Pure: a /proc/<pid>/cmdline (NUL-separated) as one line, arguments joined by spaces. */
export const cmdlineText = (raw: string): string => raw.replace(/\0+$/, '').replace(/\0/g, ' ');

const cmdlineOf = (host: Host, pid: number): string | null => {
  try {
    return cmdlineText(host.readProcSync(pid, 'cmdline'));
  } catch {
    return null;
  }
};

/**
 * The service's running process, or null. With several candidates (a master and its
 * workers) the oldest wins: the one that started the rest. PanicMode never finds itself.
 */
export const findService = async (host: Host, finder: ServiceFinder): Promise<ProcStat | null> => {
  if ('pidfile' in finder) {
    let text: string;
    try {
      // Synchronously: a pidfile is a few bytes on a local tmpfs (/run), read in microseconds;
      // through the thread pool a check would wait behind whatever else queues there.
      text = readFileSync(finder.pidfile, 'utf8');
    } catch {
      return null; // not written (yet), or removed: not running
    }
    const pid = parsePidfile(text);
    return pid === null || pid === host.pid ? null : runningPid(host, pid);
  }
  const table = await readProcessTable(host);
  const candidates: ProcStat[] = [];
  if ('match' in finder) {
    // comm is cut at 15 characters: a longer name is compared on its first 15
    const comm = finder.match.slice(0, 15);
    for (const p of table.processes.values()) if (p.name === comm && running(p) && p.pid !== host.pid) candidates.push(p);
  }
  if (candidates.length === 0) {
    const matches = 'match' in finder ? (line: string) => line.includes(finder.match) : (line: string) => finder.cmdline.test(line);
    for (const p of table.processes.values()) {
      if (p.pid === host.pid || !running(p)) continue;
      const line = cmdlineOf(host, p.pid);
      if (line !== null && line !== '' && matches(line)) candidates.push(p);
    }
  }
  let oldest: ProcStat | null = null;
  for (const p of candidates) if (oldest === null || p.startTicks < oldest.startTicks || (p.startTicks === oldest.startTicks && p.pid < oldest.pid)) oldest = p;
  return oldest;
};

/** Does the pid lead its own process group (as every start_command does)? false once gone. */
export const leadsGroup = (host: Host, pid: number): boolean => statOf(host, pid)?.pgid === pid;

/** The environment variable naming the service, set for every start_command (service-launcher.ts). */
export const SERVICE_MARKER_VAR = 'PANICMODE_SERVICE';

/**
 * The running process a PanicMode started as `service`: its environment holds the marker
 * and it leads its own process group (its children inherit the marker but not the group,
 * so the orphaned workers of a crashed instance are not taken for it), or null. One read
 * of every process's environment: run once, when an agent starts without knowing the
 * instance (its record of a start was lost to a kill -9 before it was written).
 */
export const findByMarker = async (host: Host, service: string): Promise<ProcStat | null> => {
  const marker = `\0${SERVICE_MARKER_VAR}=${service}\0`;
  const table = await readProcessTable(host);
  let oldest: ProcStat | null = null;
  for (const p of table.processes.values()) {
    if (p.pid === host.pid || !running(p)) continue;
    let env: string;
    try {
      env = `\0${host.readProcSync(p.pid, 'environ')}`;
    } catch {
      continue;
    }
    if (env.includes(marker) && p.pgid === p.pid && (oldest === null || p.startTicks < oldest.startTicks)) oldest = p;
  }
  return oldest;
};
