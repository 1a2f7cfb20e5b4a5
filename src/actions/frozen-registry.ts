/**
 * The processes PanicMode froze (SIGSTOP) and has not thawed: what `panicmode ctl
 * frozen` lists and `ctl thaw <PID|all>` continues (SIGCONT), and what `thaw_after`
 * thaws on a timer.
 *
 * Memory first: the registry is a map the freezing action writes synchronously, and the
 * store (SQLite) is told afterwards, never awaited — protection never waits on storage,
 * and a failing disk only loses the record across a restart. At start the stored rows
 * are taken back for processes that are still there (same pid AND start time).
 *
 * A pid is recycled once its process exits: a process is known by pid and start time
 * (stat field 22), and a thaw sends SIGCONT only when both still match; otherwise the
 * entry is dropped and reported as gone, never signalled blindly.
 *
 * `thaw_after` (on a freezing action): thaws the processes that action froze once the
 * duration has passed. Decided over "when the incident resolves": a frozen hog makes
 * the CPU incident resolve at once (the freeze is what resolved it), so a
 * resolve-triggered thaw would be a stop/continue loop; a duration is a cool-off the
 * operator chooses, and `ctl thaw` is there to end it sooner.
 */
import { asyncScheduler, type SchedulerLike, type Subscription } from 'rxjs';
import type { Host } from '../host/host.js';
import type { Logger } from '../log/logger.js';
import type { FrozenRow } from '../storage/frozen-repository.js';
import { parsePidStat } from '../collectors/processes.js';

export interface FrozenProcess {
  pid: number;
  startTicks: number;
  name: string;
  cmdline: string;
  /** unix ms */
  frozenAt: number;
  /** the action that froze it */
  action: string;
  /** the incident's name */
  reason: string;
  incidentKey: string;
  /** unix ms when thaw_after continues it, or null */
  thawAt: number | null;
}

export interface ThawResult {
  thawed: FrozenProcess[];
  /** exited, or its pid now belongs to another process: dropped, not signalled */
  gone: FrozenProcess[];
}

export interface FrozenStore {
  save(rows: FrozenRow[]): Promise<void>;
  remove(keys: { pid: number; start_ticks: number }[]): Promise<void>;
}

export interface FrozenRegistry {
  /** records processes just frozen (after SIGSTOP); schedules their thaw when `thawAt` is set */
  add(entries: FrozenProcess[]): void;
  /**
   * The `onFrozen(pids, reason)` other parts that freeze are given (fork-bomb rules,
   * `panicmode exec`): records pids they stopped, reading name, cmdline and start time
   * now; pids already gone are skipped.
   */
  onFrozen(pids: readonly number[], reason: string, action?: string): void;
  list(): FrozenProcess[];
  /** is this pid recorded as frozen (not thawed since)? */
  isFrozen(pid: number): boolean;
  /** drops the records of pids that were killed, signalling nothing */
  forget(pids: readonly number[]): void;
  /** SIGCONT to one recorded pid, or to every recorded process */
  thaw(target: number | 'all', why?: string): ThawResult;
  /** takes back rows a previous run stored, for processes still there */
  restore(rows: readonly FrozenRow[]): void;
  /** cancels thaw timers (the processes stay frozen and recorded) */
  close(): void;
}

export interface FrozenRegistryOptions {
  host: Host;
  logger: Logger;
  store?: FrozenStore;
  scheduler?: SchedulerLike;
}

const rowOf = (f: FrozenProcess): FrozenRow => ({
  pid: f.pid, start_ticks: f.startTicks, name: f.name, cmdline: f.cmdline, frozen_at: f.frozenAt,
  action: f.action, reason: f.reason, incident_key: f.incidentKey, thaw_at: f.thawAt,
});

const fromRow = (r: FrozenRow): FrozenProcess => ({
  pid: r.pid, startTicks: r.start_ticks, name: r.name, cmdline: r.cmdline, frozenAt: r.frozen_at,
  action: r.action, reason: r.reason, incidentKey: r.incident_key, thawAt: r.thaw_at,
});

export const createFrozenRegistry = (o: FrozenRegistryOptions): FrozenRegistry => {
  const scheduler = o.scheduler ?? asyncScheduler;
  const entries = new Map<number, FrozenProcess>();
  const timers = new Map<number, Subscription>();
  const log = o.logger;

  const persist = (what: string, p: Promise<void> | undefined) =>
    void p?.catch((err) => log.warn(`frozen processes not ${what} in storage (kept in memory)`, { error: (err as Error).message }));

  /** Is the recorded process still the one at its pid? */
  const stillThere = (f: FrozenProcess): boolean => {
    try {
      const s = parsePidStat(o.host.readProcSync(f.pid, 'stat'));
      return s !== null && s.startTicks === f.startTicks && s.state !== 'Z' && s.state !== 'X';
    } catch {
      return false;
    }
  };

  const forget = (fs: FrozenProcess[]) => {
    for (const f of fs) {
      entries.delete(f.pid);
      timers.get(f.pid)?.unsubscribe();
      timers.delete(f.pid);
    }
    persist('removed', o.store?.remove(fs.map((f) => ({ pid: f.pid, start_ticks: f.startTicks }))));
  };

  const thawOne = (f: FrozenProcess, result: ThawResult) => {
    if (!stillThere(f)) {
      result.gone.push(f);
      return;
    }
    try {
      o.host.kill(f.pid, 'SIGCONT');
      result.thawed.push(f);
    } catch {
      result.gone.push(f);
    }
  };

  const schedule = (f: FrozenProcess) => {
    if (f.thawAt === null) return;
    const delay = Math.max(0, f.thawAt - scheduler.now());
    timers.get(f.pid)?.unsubscribe();
    timers.set(f.pid, scheduler.schedule(() => {
      timers.delete(f.pid);
      if (entries.get(f.pid) === f) registry.thaw(f.pid, 'thaw_after');
    }, delay));
  };

  const registry: FrozenRegistry = {
    add: (list) => {
      for (const f of list) {
        entries.set(f.pid, f);
        schedule(f);
      }
      persist('recorded', o.store?.save(list.map(rowOf)));
    },
    onFrozen: (pids, reason, action = 'freeze') => {
      const at = scheduler.now();
      registry.add(pids.flatMap((pid) => {
        try {
          const s = parsePidStat(o.host.readProcSync(pid, 'stat'));
          if (!s) return [];
          const cmdline = o.host.readProcSync(pid, 'cmdline').replace(/\0+$/, '').split('\0').join(' ');
          return [{ pid, startTicks: s.startTicks, name: s.name, cmdline, frozenAt: at, action, reason, incidentKey: reason, thawAt: null }];
        } catch {
          return [];
        }
      }));
    },
    list: () => [...entries.values()],
    isFrozen: (pid) => entries.has(pid),
    forget: (pids) => forget(pids.flatMap((pid) => (entries.has(pid) ? [entries.get(pid)!] : []))),
    thaw: (target, why = 'ctl thaw') => {
      const result: ThawResult = { thawed: [], gone: [] };
      const chosen = target === 'all' ? [...entries.values()] : entries.has(target) ? [entries.get(target)!] : [];
      for (const f of chosen) thawOne(f, result);
      forget(chosen);
      for (const f of result.thawed) log.info(`thawed pid ${f.pid} (${f.name})`, { by: why });
      for (const f of result.gone) log.info(`frozen pid ${f.pid} (${f.name}) is gone or its pid was reused: dropped, not signalled`, { by: why });
      return result;
    },
    restore: (rows) => {
      const alive: FrozenProcess[] = [];
      const gone: FrozenProcess[] = [];
      for (const f of rows.map(fromRow)) (stillThere(f) ? alive : gone).push(f);
      for (const f of alive) {
        entries.set(f.pid, f);
        schedule(f);
      }
      if (gone.length > 0) persist('removed', o.store?.remove(gone.map((f) => ({ pid: f.pid, start_ticks: f.startTicks }))));
      if (alive.length > 0) log.info(`${alive.length} process(es) frozen by a previous run are still stopped (panicmode ctl frozen)`);
    },
    close: () => {
      for (const t of timers.values()) t.unsubscribe();
      timers.clear();
    },
  };
  return registry;
};
