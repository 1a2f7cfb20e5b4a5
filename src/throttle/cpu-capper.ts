/**
 * CPU caps on processes: the `rate_limit` action's answer to a process incident. A cap
 * holds a process to a share of one CPU through its cgroup (cgroup-cpu-quota.ts) where
 * that cgroup can be capped alone, otherwise by a SIGSTOP/SIGCONT duty cycle on the
 * pipeline's scheduler (duty-cycle-throttle.ts). It ends when its incident resolves
 * (`until$`), after its duration, when the process exits, or when the agent stops
 * (a stopped agent could not lift it later, so it lifts it on its way out).
 *
 * Who may be capped is not decided here: `spare(pid)` (never-touched processes) comes
 * from the process-actions part; a cgroup holding any spared process is not capped as a
 * whole, the victim alone is duty-cycled instead.
 */
import { asyncScheduler, merge, NEVER, Subscription, take, timer, type Observable, type SchedulerLike } from 'rxjs';
import type { Host } from '../host/host.js';
import type { Logger } from '../log/logger.js';
import { parsePidStat } from '../collectors/processes.js';
import { applyCpuCap, cgroupMembers, locateCpuLimit, restoreCpuCap, type AppliedCap, type CpuLimitFile } from './cgroup-cpu-quota.js';
import { throttleByDutyCycle } from './duty-cycle-throttle.js';
import { formatDuration } from '../config/duration.js';

/** The reason a process must be left alone, or null (process-actions' `Spare`). */
export type Spare = (pid: number) => string | null;

export type CapMethod = 'cgroup_v1' | 'cgroup_v2' | 'duty_cycle';

/** A cap in force, as shown to people. */
export interface CpuCap {
  pid: number;
  name: string;
  /** share of one CPU, (0, 1) */
  share: number;
  method: CapMethod;
  /** the capped cgroup's directory (cgroup methods) */
  cgroup?: string;
  since: number;
  /** when it lifts by itself; null = when its incident resolves */
  until: number | null;
  reason: string;
}

export interface CapOptions {
  share: number;
  /** ms; null = until `until$` */
  durationMs: number | null;
  /** emits when the cap should be lifted (its incident resolved) */
  until$?: Observable<unknown>;
  reason: string;
}

export type CapResult =
  | { outcome: 'capped' | 'already'; cap: CpuCap }
  | { outcome: 'skipped'; reason: string };

export interface CpuCapper {
  cap(pid: number, options: CapOptions): Promise<CapResult>;
  /** What cap() would do, changing nothing (dry-run). */
  plan(pid: number, options: CapOptions): Promise<CapResult>;
  /** Lifts the cap on `pid`; false when there was none. */
  lift(pid: number, why?: string): Promise<boolean>;
  list(): CpuCap[];
  /** Lifts every cap. */
  stop(): Promise<void>;
}

export interface CpuCapperDeps {
  host: Host;
  logger: Logger;
  /**
   * The never-touched list as it stands now (process-actions' `spare`, built over a fresh
   * view of the process table): asked once per cap, for the victim and its cgroup's members
   */
  spareNow: () => Spare | Promise<Spare>;
  /** true when another part holds `pid` frozen (a throttle then never continues it) */
  isFrozen?: (pid: number) => boolean;
  scheduler?: SchedulerLike;
  /** one run + stop cycle of the fallback, ms; default 100 */
  dutyPeriodMs?: number;
}

interface Held {
  cap: CpuCap;
  /** the capped cgroup's directory (cgroup methods) */
  dir?: string;
  undo: () => Promise<void>;
  end: Subscription;
}

const DEFAULT_DUTY_PERIOD_MS = 100;

export const createCpuCapper = (deps: CpuCapperDeps): CpuCapper => {
  const { host, logger } = deps;
  const scheduler = deps.scheduler ?? asyncScheduler;
  const held = new Map<number, Held>();
  /**
   * Caps are decided and applied one at a time: a second incident about the same process,
   * or another process of the same cgroup, then finds the first cap in force ("already"),
   * and a cgroup's original limit is never read back after we changed it.
   */
  let serial: Promise<unknown> = Promise.resolve();
  /** The cap in force on the cgroup `dir`, when one of ours holds it. */
  const capOfCgroup = (dir: string): CpuCap | undefined => [...held.values()].find((h) => h.dir === dir)?.cap;

  /** The cgroup to cap, or why the victim gets a duty cycle instead. */
  const cgroupFor = async (pid: number, spare: Spare): Promise<CpuLimitFile | string> => {
    const file = await locateCpuLimit(host, pid);
    if (typeof file === 'string') return file;
    let members: number[];
    try {
      members = await cgroupMembers(file);
    } catch (err) {
      return `cgroup ${file.dir} unreadable: ${(err as Error).message}`;
    }
    for (const m of members) {
      const why = m === host.pid ? 'PanicMode itself' : m === pid ? null : spare(m);
      if (why) return `cgroup ${file.dir} also holds pid ${m} (${why})`;
    }
    return file;
  };

  const decide = async (pid: number, o: CapOptions): Promise<CapResult | { file: CpuLimitFile | string; name: string; startTicks: number }> => {
    const existing = held.get(pid);
    if (existing) return { outcome: 'already', cap: existing.cap };
    if (pid === host.pid) return { outcome: 'skipped', reason: `pid ${pid} is PanicMode itself` };
    const spare = await deps.spareNow();
    const why = spare(pid);
    if (why) return { outcome: 'skipped', reason: `pid ${pid} is spared: ${why}` };
    let stat;
    try {
      stat = parsePidStat(host.readProcSync(pid, 'stat'));
    } catch {
      stat = null;
    }
    if (!stat) return { outcome: 'skipped', reason: `pid ${pid} is gone` };
    if (!(o.share > 0 && o.share < 1)) return { outcome: 'skipped', reason: `a cap of ${o.share * 100}% of a CPU is no cap` };
    return { file: await cgroupFor(pid, spare), name: stat.name, startTicks: stat.startTicks };
  };

  const capView = (pid: number, name: string, o: CapOptions, method: CapMethod, cgroup?: string): CpuCap => {
    const since = scheduler.now();
    return { pid, name, share: o.share, method, ...(cgroup ? { cgroup } : {}), since, until: o.durationMs === null ? null : since + o.durationMs, reason: o.reason };
  };

  const lift = async (pid: number, why = 'by request'): Promise<boolean> => {
    const h = held.get(pid);
    if (!h) return false;
    held.delete(pid);
    h.end.unsubscribe();
    try {
      await h.undo();
      logger.info(`CPU cap lifted: ${h.cap.name} (pid ${pid}) (${why})`);
    } catch (err) {
      logger.error(`CPU cap on ${h.cap.name} (pid ${pid}) could not be lifted`, { error: (err as Error).message, cgroup: h.cap.cgroup });
    }
    return true;
  };

  /** Caps `pid`: its cgroup where it can, else a duty cycle (one call at a time, see `serial`). */
  const capNow = async (pid: number, o: CapOptions): Promise<CapResult> => {
    const d = await decide(pid, o);
    if ('outcome' in d) return d;
    let cap: CpuCap;
    let undo: () => Promise<void>;
    let applied: AppliedCap | null = null;
    if (typeof d.file !== 'string') {
      const mine = capOfCgroup(d.file.dir);
      if (mine) return { outcome: 'already', cap: mine };
      try {
        applied = await applyCpuCap(d.file, o.share);
      } catch (err) {
        logger.info(`cgroup ${d.file.dir} cannot be capped, throttling pid ${pid} alone`, { error: (err as Error).message });
      }
    } else logger.debug(`pid ${pid}: ${d.file}; throttling it by duty cycle`);
    if (applied) {
      const a = applied;
      cap = capView(pid, d.name, o, a.file.version === 2 ? 'cgroup_v2' : 'cgroup_v1', a.file.dir);
      undo = () => restoreCpuCap(a);
    } else {
      cap = capView(pid, d.name, o, 'duty_cycle');
      const throttle = throttleByDutyCycle({
        host,
        pid,
        startTicks: d.startTicks,
        share: o.share,
        periodMs: deps.dutyPeriodMs ?? DEFAULT_DUTY_PERIOD_MS,
        scheduler,
        isFrozen: deps.isFrozen,
        onGone: () => void lift(pid, 'the process exited'),
      });
      undo = async () => throttle.unsubscribe();
    }
    const ends$ = merge(o.until$ ?? NEVER, o.durationMs === null ? NEVER : timer(o.durationMs, scheduler)).pipe(take(1));
    // Held before the end is subscribed: an until$ that has already fired lifts it at once.
    const end = new Subscription();
    held.set(pid, { cap, undo, end, dir: applied?.file.dir });
    logger.info(`${describeCap(cap)} (${o.reason})`);
    end.add(ends$.subscribe(() => void lift(pid, cap.until !== null && scheduler.now() >= cap.until ? 'its time is up' : 'the incident resolved')));
    return { outcome: 'capped', cap };
  };

  return {
    plan: async (pid, o) => {
      const d = await decide(pid, o);
      if ('outcome' in d) return d;
      const method: CapMethod = typeof d.file === 'string' ? 'duty_cycle' : d.file.version === 2 ? 'cgroup_v2' : 'cgroup_v1';
      return { outcome: 'capped', cap: capView(pid, d.name, o, method, typeof d.file === 'string' ? undefined : d.file.dir) };
    },
    cap: (pid, o) => {
      const p = serial.then(() => capNow(pid, o));
      serial = p.catch(() => undefined);
      return p;
    },
    lift,
    list: () => [...held.values()].map((h) => h.cap).sort((a, b) => a.since - b.since),
    stop: async () => {
      for (const pid of [...held.keys()]) await lift(pid, 'PanicMode stopping');
    },
  };
};

/** One phrase for a cap, for the alert. */
export const describeCap = (c: CpuCap, dryRun = false): string =>
  `${dryRun ? 'would cap' : 'capped'} ${c.name} (pid ${c.pid}) at ${Math.round(c.share * 100)}% of a CPU by ${c.method === 'duty_cycle' ? 'SIGSTOP/SIGCONT duty cycle' : `cgroup ${c.cgroup}`}${c.until === null ? '' : ` for ${formatDuration(c.until - c.since)}`}`;
