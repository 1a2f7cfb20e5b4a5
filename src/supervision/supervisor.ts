/**
 * Supervision of the `processes:` services: every check interval (on the pipeline's
 * scheduler, so it runs in virtual time too) each service is checked, restarted when
 * gone (auto_restart) within its restart budget, sampled for its limits; its incidents
 * come out of `incidents$` like any detector's.
 *
 * Per check and service, a running service costs one read of `<procroot>/<pid>/stat`
 * (the instance is known by pid and start time); a pidfile, a cmdline regex or a name
 * over the process table is consulted only when that instance is gone.
 *
 * The restart budget: every restart (automatic or by restart_process) is an attempt fed
 * to the `crashLoop` operator (streams/crashLoop.ts); the one that makes more than
 * `max_restarts` within `restart_window` is not carried out: the service goes into
 * cooldown for `cooldown` (one critical incident), then is tried again with a fresh
 * count. A service that runs `stable_after` since its start forgets its restarts (a new
 * episode: the crashLoop key is the episode's number).
 *
 * State is memory first, written behind to `restart_state` (restart-state-repository.ts),
 * so protection never waits on storage; it is read once at start, so a restarted agent
 * keeps a cooldown (without alerting again), counts the restarts of the episode, and
 * finds the instance it had started instead of starting a second one. (A kill -9 in the
 * milliseconds between a start and its write loses that start's record: the next agent
 * then finds the service by its PANICMODE_SERVICE marker, searched once at its first miss.)
 */
import { exhaustMap, from, Observable, Subject, Subscription, timer, type SchedulerLike } from 'rxjs';
import type { Host } from '../host/host.js';
import type { Logger } from '../log/logger.js';
import type { Db } from '../storage/schema.js';
import type { SupervisedProcessConfig } from '../config/schema.js';
import type { Incident } from '../model/incident.js';
import type { ActionOutcome } from '../actions/action.js';
import { crashLoop, type CrashLoop } from '../../streams/crashLoop.js';
import { createRestartStateWriter, loadRestartStates, type RestartState } from '../storage/restart-state-repository.js';
import { findByMarker, findService, finderOf, runningPid, stillRunning, type Instance, type ServiceFinder } from './service-finder.js';
import { readUsage } from './service-usage.js';
import { serviceLimits, type LimitInput } from './service-limits.js';
import { startService, stopInstance, type Started } from './service-launcher.js';
import { crashLoopOver, crashLooping, serviceDown, serviceUp, startFailed } from './supervision-incidents.js';

export interface SupervisorDeps {
  host: Host;
  db: Db;
  logger: Logger;
  scheduler: SchedulerLike;
  /** how often each service is checked (performance.check_interval) */
  intervalMs: number;
  /** how long a systemctl restart may take (circuit_breakers.timeout) */
  commandTimeoutMs: number;
  /** why a pid must not be signalled (the never-touched rule: actions/spare.ts), or null; default none */
  spare?: (pid: number) => string | null | Promise<string | null>;
  /** `dry_run`: a service found gone is reported, not started (restart_process says what it would do) */
  dryRun?: boolean;
  /** how services are started and stopped; default service-launcher.ts (tests run it in virtual time with a fake) */
  launcher?: Launcher;
}

export interface Launcher {
  start(entry: SupervisedProcessConfig): Promise<Started>;
  stop(instance: Instance, timeoutMs: number): Promise<void>;
}

export interface Supervisor {
  /** the services' incidents; subscribing runs the checks, unsubscribing stops them */
  readonly incidents$: Observable<Incident>;
  /** restart_process: restarts the supervised services running as one of `pids` */
  restartFor(pids: readonly number[], dryRun: boolean): Promise<ActionOutcome>;
  /** resolves once the check in progress is over and every state change is written */
  settled(): Promise<void>;
}

interface Attempt {
  at: number;
  episode: number;
}

interface Service {
  entry: SupervisedProcessConfig;
  finder: ServiceFinder;
  state: RestartState;
  /** restarts forgotten at each stable run: the crash-loop key */
  episode: number;
  attempts$: Subject<Attempt>;
  /** set synchronously by the crash-loop subscription when an attempt breaks the budget */
  looped: CrashLoop<Attempt> | null;
  /** a crash loop was alerted and has not been followed by a stable run yet */
  looping: boolean;
  /** it was found gone (alerted) and has not run stable_after since */
  down: boolean;
  limits$: Subject<LimitInput>;
  /** a start or stop in progress: checks leave the service alone */
  busy: boolean;
  /** when PanicMode last started it (the start_timeout grace) */
  launchedAt: number | null;
  /** what that start launched */
  launched: Started | null;
  /** processes were searched for its PANICMODE_SERVICE marker (once, at the first miss) */
  markerSearched: boolean;
}

const freshState = (service: string): RestartState => ({ service, restarts: [], cooldownUntil: null, pid: null, startTicks: null, startedAt: null });

export const createSupervisor = async (entries: readonly SupervisedProcessConfig[], deps: SupervisorDeps): Promise<Supervisor> => {
  const { host, logger, scheduler } = deps;
  const now = () => scheduler.now();
  const spare = deps.spare ?? (() => null);
  const launcher: Launcher = deps.launcher ?? {
    start: (entry) => startService(entry, host, deps.commandTimeoutMs),
    stop: (instance, timeoutMs) => stopInstance(host, instance, timeoutMs, scheduler),
  };
  const writer = createRestartStateWriter(deps.db, now, (err) => logger.error('restart state not written (kept in memory)', { error: (err as Error).message }));
  let stored = new Map<string, RestartState>();
  try {
    stored = await loadRestartStates(deps.db);
  } catch (err) {
    logger.error('restart state unreadable: every service starts with a fresh budget', { error: (err as Error).message });
  }
  const incidentsOut$ = new Subject<Incident>();
  const raise = (i: Incident) => incidentsOut$.next(i);

  const services: Service[] = entries
    .filter((e) => e.enabled)
    .map((entry) => {
      const state = stored.get(entry.name) ?? freshState(entry.name);
      const s: Service = { entry, finder: finderOf(entry), state, episode: 0, attempts$: new Subject(), looped: null, looping: false, down: false, limits$: new Subject(), busy: false, launchedAt: null, launched: null, markerSearched: false };
      s.attempts$.pipe(crashLoop(entry.max_restarts, entry.restart_window, { keyOf: (a) => String(a.episode), timeOf: (a) => a.at })).subscribe((loop) => (s.looped = loop));
      return s;
    });
  const persist = (s: Service) => writer.write(s.state);
  const byName = new Map(services.map((s) => [s.entry.name, s]));
  for (const name of stored.keys()) if (!byName.has(name)) logger.info('restart state kept for a service no longer configured', { service: name });

  /** Feeds one restart attempt to the budget; false (and cooldown, alerted) when it breaks it. */
  const withinBudget = (s: Service, at: number): boolean => {
    s.looped = null;
    s.attempts$.next({ at, episode: s.episode });
    const loop = s.looped as CrashLoop<Attempt> | null;
    if (loop === null) {
      s.state.restarts = [...s.state.restarts.filter((t) => t > at - s.entry.restart_window), at];
      persist(s);
      return true;
    }
    s.state.restarts = [];
    s.state.cooldownUntil = at + s.entry.cooldown;
    s.looping = true;
    persist(s);
    logger.error('crash loop: cooldown', { service: s.entry.name, restarts: loop.restarts, cooldown_ms: s.entry.cooldown });
    raise(crashLooping(s.entry.name, loop.restarts, s.entry.restart_window, s.entry.cooldown, at));
    return false;
  };

  // The episode's restarts read back count as they happened (crashLoop judges their own
  // times); a budget lowered by a new config can make them a loop at once.
  for (const s of services) {
    if (s.state.cooldownUntil !== null) s.looping = true;
    const past = s.state.restarts;
    s.state.restarts = [];
    for (const at of past) if (!withinBudget(s, at)) break;
  }

  const launch = async (s: Service, at: number): Promise<boolean> => {
    try {
      const started = await launcher.start(s.entry);
      s.launchedAt = at;
      s.launched = started;
      const stat = started.pid === null ? null : runningPid(host, started.pid);
      if (stat) Object.assign(s.state, { pid: stat.pid, startTicks: stat.startTicks, startedAt: at });
      persist(s);
      logger.info('service started', { service: s.entry.name, pid: started.pid ?? 'by systemd' });
      return true;
    } catch (err) {
      const message = (err as Error).message;
      logger.error('service start failed', { service: s.entry.name, error: message });
      raise(startFailed(s.entry.name, message, at));
      return false;
    }
  };

  const check = async (s: Service): Promise<void> => {
    if (s.busy) return;
    const at = now();
    const { state, entry } = s;
    let stat = state.pid !== null && state.startTicks !== null ? stillRunning(host, { pid: state.pid, startTicks: state.startTicks }) : null;
    if (stat === null) {
      s.busy = true;
      try {
        stat = await findService(host, s.finder);
        // a start this agent's predecessor made but could not record (killed in between)
        if (stat === null && !s.markerSearched && entry.start_command) {
          s.markerSearched = true;
          stat = await findByMarker(host, entry.name);
        }
      } finally {
        s.busy = false;
      }
    }
    if (stat !== null) {
      if (stat.pid !== state.pid || stat.startTicks !== state.startTicks) {
        // another instance than the one known (restarted behind our back): the old one's limits resolve
        if (state.pid !== null) s.limits$.next({ gone: { service: entry.name, at } });
        Object.assign(state, { pid: stat.pid, startTicks: stat.startTicks, startedAt: s.launchedAt ?? at });
        persist(s);
      }
      if (entry.limits) s.limits$.next({ sample: readUsage(host, entry.name, stat, at, entry.limits) });
      // up again only once it has run stable_after: a crash loop is one `down`, not a pair per restart
      if ((state.restarts.length > 0 || s.looping || s.down) && state.startedAt !== null && at - state.startedAt >= entry.stable_after) {
        state.restarts = [];
        s.episode++;
        persist(s);
        if (s.down) raise(serviceUp(entry.name, stat.pid, at));
        if (s.looping) raise(crashLoopOver(entry.name, entry.stable_after, at));
        s.looping = false;
        s.down = false;
      }
      return;
    }
    // not running
    const starting = s.launchedAt !== null && at - s.launchedAt < entry.start_timeout;
    const restarts = entry.auto_restart && !deps.dryRun;
    const reportDown = (pid: number | null) => {
      const next = !entry.auto_restart
        ? 'auto_restart is off'
        : deps.dryRun
          ? 'dry run: not started'
          : state.cooldownUntil !== null && at < state.cooldownUntil
            ? 'in cooldown after a crash loop'
            : 'restarting';
      logger.warn('service is not running', { service: entry.name, pid: pid ?? 'none found', next });
      s.down = true;
      s.launched = null; // its start is accounted for: said once
      raise(serviceDown(entry.name, pid, at, next));
    };
    if (state.pid !== null) {
      const pid = state.pid;
      s.limits$.next({ gone: { service: entry.name, at } });
      Object.assign(state, { pid: null, startTicks: null });
      persist(s);
      // a launcher that forked its daemon and exited 0 is not a crash; the daemon has
      // start_timeout to show up
      const launcherLeft = starting && s.launched !== null && pid === s.launched.pid && s.launched.exitedCleanly();
      if (!launcherLeft) reportDown(pid);
    } else if (s.launched !== null && s.launched.pid !== null) {
      // what this agent launched was never seen running: it died before the start was
      // read back (killed at once), or its launcher left cleanly and no daemon showed
      // up within start_timeout
      if (!s.launched.exitedCleanly()) reportDown(s.launched.pid);
      else if (!starting) reportDown(null);
    } else if (!restarts && !s.down) {
      reportDown(null); // configured, not running, and nothing will start it: said once
    }
    if (!restarts || starting) return;
    if (state.cooldownUntil !== null) {
      if (at < state.cooldownUntil) return;
      state.cooldownUntil = null;
      persist(s);
      logger.info('cooldown over: trying again', { service: entry.name });
    }
    if (!withinBudget(s, at)) return;
    s.busy = true;
    try {
      await launch(s, at);
    } finally {
      s.busy = false;
    }
  };

  const restartOne = async (s: Service, dryRun: boolean): Promise<string> => {
    const { state, entry } = s;
    const pid = state.pid!;
    if (dryRun) return `would restart ${entry.name} (pid ${pid})`;
    if (s.busy) return `${entry.name} is already being started or stopped`;
    s.busy = true; // from here on, checks leave it alone
    try {
      const why = await spare(pid);
      if (why !== null) return `left ${entry.name} (pid ${pid}) alone: ${why}`;
      const at = now();
      if (state.cooldownUntil !== null && at < state.cooldownUntil) return `${entry.name} is in cooldown after a crash loop`;
      if (!withinBudget(s, at)) return `${entry.name} not restarted: crash loop, cooldown`;
      // `systemctl restart` stops the unit itself (signalling it here would race systemd's own Restart=)
      if (!entry.systemd_unit) await launcher.stop({ pid, startTicks: state.startTicks! }, entry.stop_timeout);
      s.limits$.next({ gone: { service: entry.name, at: now() } });
      Object.assign(state, { pid: null, startTicks: null });
      return (await launch(s, now())) ? `restarted ${entry.name} (was pid ${pid}${state.pid ? `, now ${state.pid}` : ''})` : `stopped ${entry.name} (pid ${pid}); its start failed`;
    } finally {
      s.busy = false;
    }
  };

  let inflight: Promise<unknown> = Promise.resolve();
  const checkAll = () =>
    (inflight = Promise.all(services.map((s) => check(s).catch((err) => logger.error('service check failed', { service: s.entry.name, error: (err as Error).message })))));

  const incidents$ = new Observable<Incident>((subscriber) => {
    const subs = new Subscription();
    subs.add(incidentsOut$.subscribe(subscriber));
    for (const s of services) if (s.entry.limits) subs.add(s.limits$.pipe(serviceLimits(s.entry)).subscribe((i) => subscriber.next(i)));
    subs.add(
      timer(0, deps.intervalMs, scheduler)
        // a check still waiting (a table scan, a start) makes the next tick skip, not queue
        .pipe(exhaustMap(() => from(checkAll())))
        .subscribe({ error: (err) => subscriber.error(err) }),
    );
    return subs;
  });

  return {
    incidents$,
    restartFor: async (pids, dryRun) => {
      const targets = services.filter((s) => s.state.pid !== null && pids.includes(s.state.pid));
      if (targets.length === 0) return { outcome: 'skipped', summary: 'no supervised service among the incident\'s processes' };
      const done = await Promise.all(targets.map((s) => restartOne(s, dryRun)));
      return { outcome: dryRun ? 'dry_run' : 'ok', summary: done.join('; '), target: targets.map((s) => s.entry.name).join(',') };
    },
    settled: async () => {
      await inflight;
      await writer.settled();
    },
  };
};
