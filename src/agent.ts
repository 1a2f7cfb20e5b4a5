/**
 * The composition root: config → collectors → rules → incident flow → sinks. Nothing
 * here decides anything; it builds the pieces from the config and connects them.
 *
 *   metrics$ ─┬─ rule 1 ── dedup · escalate ─┐
 *             ├─ rule n ── dedup · escalate ─┤
 *             └─ anomaly, self-check ────────┼──► handler: record · protective actions
 *   auth failures ── window per IP ──────────┘          └─► alerts$ ── rate limit ──► outbox
 *                                                             (owed in SQLite until in the outbox)
 */
import { hostname } from 'node:os';
import { asyncScheduler, catchError, EMPTY, firstValueFrom, from, interval, race, Subject, Subscription, timer, type Observable, type SchedulerLike } from 'rxjs';
import type { Config } from './config/schema.js';
import type { Logger } from './log/logger.js';
import { createHost, type Host } from './host/host.js';
import { openDatabase, type OpenedDatabase } from './storage/database.js';
import { createIncidentWriter } from './storage/incidents-repository.js';
import { loadDedupState, pruneDedupState, saveDedupEntry } from './storage/dedup-repository.js';
import { pruneOldRows } from './storage/retention.js';
import { ruleDetectors, type Detector } from './pipeline/rule-detectors.js';
import { selfCheckNotes } from './rules/self-check-rules.js';
import { metricsStalled } from './rules/metrics-stalled.js';
import { reportDetectorStop } from './rules/detector-stopped.js';
import { selfIncident } from './model/self-incident.js';
import { incidentFlow, type PendingAlert } from './incidents/incident-flow.js';
import { createIncidentHandler } from './incidents/incident-handler.js';
import { createActionExecutor, executorLimits } from './actions/executor.js';
import { buildActions } from './actions/registry.js';
import type { Incident } from './model/incident.js';
import type { Metrics } from './model/metrics.js';
import { supervise } from '../streams/supervise.js';
import { dedup, DEFAULT_DEDUP_WINDOW_MS } from '../streams/dedup.js';
import { metricsStream } from './collectors/metrics-stream.js';
import { createCollectors } from './collectors/registry.js';
import { createAlerting, type Alerting } from './alerts/alerting.js';
import { startAlertPath } from './alerts/alert-path.js';
import { createFirewall } from './firewall/create-firewall.js';
import type { BanManager } from './firewall/ban-manager.js';
import { startCtlSocket, type CtlSocket } from './api/ctl-socket.js';
import { sshMonitors } from './auth/ssh-monitors.js';
import { logFailureMonitors } from './auth/log-failure-monitors.js';
import { fileMonitors } from './files/file-monitors.js';
import { inertKeyWarnings } from './config/key-effects.js';
import { createSupervisor } from './supervision/supervisor.js';

export interface AgentDeps {
  logger: Logger;
  configPath: string | null;
  host?: Host;
  /**
   * The one clock of the pipeline: every timer and timestamp from collectors to the
   * outbox. Default `asyncScheduler` (the wall clock); a TestScheduler runs it in virtual time.
   */
  scheduler?: SchedulerLike;
}

export interface RunningAgent {
  /** stops sources, lets in-flight work finish (bounded, a reload in progress included), drains alerts, closes storage */
  stop(timeoutMs: number): Promise<void>;
  /**
   * swaps in a new (already validated) config without losing queued alerts; waits for
   * a reload or stop in progress; after stop, does nothing
   */
  reload(config: Config): Promise<void>;
}

interface Pipeline {
  stop(timeoutMs: number): Promise<void>;
}

const startPipeline = async (
  config: Config,
  shared: { host: Host; logger: Logger; opened: OpenedDatabase; scheduler: SchedulerLike },
): Promise<Pipeline> => {
  const { host, logger, opened, scheduler } = shared;
  const now = () => scheduler.now();
  const db = opened.db;
  const log = logger.child('agent');
  const machine = hostname();
  const detection = new Subscription();

  const alerting: Alerting = await createAlerting(config, { db, logger: logger.child('alerts'), host: machine, scheduler });
  // A database that stops taking writes (disk full, file removed) is itself an incident;
  // raised at most once per dedup window and kind, since raising it writes too. Raised
  // before the handler exists (the firewall's start), it waits for it.
  const early: Incident[] = [];
  let handlerReady = false;
  const storageFailures$ = new Subject<Incident>();
  // lives until the end of stop: closing storage can fail too
  const storageFailureSub = storageFailures$.pipe(dedup(DEFAULT_DEDUP_WINDOW_MS, (i) => i.key, { scheduler })).subscribe((incident) => {
    if (handlerReady) handler.handle(incident);
    else early.push(incident);
  });
  const raiseStorageFailure = (monitorType: string, name: string, description: string) =>
    storageFailures$.next(selfIncident(name, description, monitorType, now()));
  const writer = createIncidentWriter(db, {
    onError: (err) => {
      const message = (err as Error).message;
      log.error('incident write failed', { error: message });
      raiseStorageFailure('self_check:storage_write', 'PanicMode storage failure', `incidents cannot be written to ${opened.path}: ${message}`);
    },
  });

  // Protection: the firewall restores live bans before detection starts.
  let firewall: BanManager | null = null;
  let ctl: CtlSocket | null = null;
  if (config.firewall.enabled) {
    firewall = createFirewall({
      db,
      options: config.firewall,
      circuit: config.circuit_breakers,
      logger: logger.child('firewall'),
      dryRun: config.dry_run,
      now,
      onStorageFailure: (message) =>
        raiseStorageFailure('self_check:storage_bans', 'PanicMode bans not recorded', `bans stay in force but cannot be recorded in ${opened.path} (lifted on time from memory, written when it has room): ${message}`),
    });
    const report = await firewall.start();
    if (report.added.length + report.removed.length + report.expired.length > 0) {
      log.info('firewall reconciled with the database', { restored: report.added.length, removed: report.removed.length, expired: report.expired.length });
    }
    try {
      ctl = await startCtlSocket({ path: config.firewall.ctl_socket, handler: firewall, logger: logger.child('ctl') });
    } catch (err) {
      // The control socket is auxiliary: without it the agent still detects and blocks.
      log.warn('control socket unavailable; `panicmode ctl` will not reach this agent', { error: (err as Error).message });
    }
  }

  // Supervision (processes:): each service checked every check_interval, restarted within
  // its budget (state in SQLite, written behind); restart_process goes through it too.
  const supervisor = config.processes.some((p) => p.enabled)
    ? await createSupervisor(config.processes, {
        host, db, logger: logger.child('supervision'), scheduler, intervalMs: config.performance.check_interval, commandTimeoutMs: config.circuit_breakers.timeout, dryRun: config.dry_run,
      })
    : null;

  const actions = buildActions(config, { host, logger: logger.child('actions'), firewall, supervisor });
  for (const [name, reason] of actions.unavailable) log.warn(`action ${name} is not available yet: it will be logged and skipped`, { reason });
  const executor = createActionExecutor({
    actions: actions.registry,
    dryRun: config.dry_run,
    ...executorLimits(config.circuit_breakers),
    logger: logger.child('actions'),
    scheduler,
    record: (run) => {
      void db
        .insertInto('action_runs')
        .values(run)
        .execute()
        .catch((err) => log.error('action record failed', { error: (err as Error).message }));
    },
  });

  // The alert path outlives detection at shutdown: incidents still being handled must
  // reach the outbox, so it is completed (not unsubscribed) once the handler is idle.
  const alerts$ = new Subject<PendingAlert>();
  const alertPath = await startAlertPath(alerts$, { db, alerting, logger: logger.child('alerts'), scheduler });

  const handler = createIncidentHandler({
    executor,
    alert: (incident, actionsTaken) => alerts$.next({ incident, actionsTaken }),
    record: (incident) => {
      writer.write(incident);
      alertPath.owe(incident);
    },
    logger: logger.child('incidents'),
    scheduler,
  });
  handlerReady = true;
  for (const incident of early.splice(0)) handler.handle(incident);

  // Detection
  for (const note of selfCheckNotes(config.performance)) log.warn(note);

  const start = now();
  await pruneDedupState(db, start, DEFAULT_DEDUP_WINDOW_MS);
  const dedupInitial = await loadDedupState(db, start, DEFAULT_DEDUP_WINDOW_MS);
  const flow = (escalateAfter?: number) =>
    incidentFlow({
      dedupWindowMs: DEFAULT_DEDUP_WINDOW_MS,
      dedupInitial,
      onDedupRecord: (key, ts) => void saveDedupEntry(db, key, ts).catch(() => undefined),
      // a ban is deduplicated only once it happened (incident-flow.ts)
      awaitsProtection: (i) => i.status === 'firing' && i.actions.some((a) => actions.registry.get(a)?.kind === 'protective'),
      escalateAfter,
      scheduler,
    });

  const metrics$: Observable<Metrics> = metricsStream(host, {
    intervalMs: config.performance.check_interval,
    collectors: createCollectors(config.collectors),
    custom: config.custom_metrics,
    logger: logger.child('collectors'),
    scheduler,
  });

  const rules = ruleDetectors(config, metrics$, flow);
  for (const { monitor, reason } of rules.unavailable) log.warn(`monitor "${monitor.name}": ${reason}; it will not fire`);
  const ssh = sshMonitors(config, { host, db, logger: logger.child('ssh'), scheduler });
  const jails = logFailureMonitors(config, { db, logger: logger.child('log_failures'), scheduler });
  const files = fileMonitors(config, { logger: logger.child('file_monitor'), scheduler });
  const detectors: Detector[] = [
    ...rules.detectors,
    ...[...ssh.incidents, ...jails.incidents, ...files.incidents].map(({ monitor, incidents$ }) => ({ name: monitor.name, incidents$: incidents$.pipe(flow(monitor.escalate_after)) })),
    { name: 'metrics stream', incidents$: metrics$.pipe(metricsStalled({ intervalMs: config.performance.check_interval, scheduler }), flow()) },
    ...(supervisor ? [{ name: 'process supervision', incidents$: supervisor.incidents$.pipe(flow()) }] : []),
  ];

  // Each detector is supervised on its own: a source that keeps failing (no auth log
  // and no journal, say) is retried with backoff, reported, and finally given up alone,
  // while every other rule goes on.
  for (const d of detectors) {
    detection.add(
      d.incidents$
        .pipe(
          reportDetectorStop(d.name, now),
          supervise({
            scheduler,
            onFailure: (err, attempt, delayMs) => {
              const message = (err as Error)?.message ?? String(err);
              log.error(`"${d.name}" failed`, { attempt, retry_in_ms: delayMs ?? 'giving up', error: message });
              handler.handle(
                selfIncident(
                  `PanicMode rule stopped: ${d.name}`,
                  delayMs === null
                    ? `"${d.name}" failed ${attempt} times in a row and is stopped until restart: ${message}`
                    : `"${d.name}" failed (${attempt}), retrying in ${Math.round(delayMs / 1000)}s: ${message}`,
                  `self_check:stream:${d.name}`,
                  now(),
                ),
              );
            },
          }),
          catchError(() => EMPTY),
        )
        .subscribe((incident) => handler.handle(incident)),
    );
  }

  // Retention: old incidents, action runs and ban history are deleted on a schedule.
  const prune = () =>
    void pruneOldRows(db, now(), config.retention)
      .then((r) => {
        const n = r.incidents + r.action_runs + r.system_metrics + r.blocked_ips;
        if (n > 0) log.info('retention: old rows deleted', { ...r });
      })
      .catch((err) => log.warn('retention cleanup failed', { error: (err as Error).message }));
  prune();
  detection.add(interval(config.retention.cleanup_interval, scheduler).subscribe(prune));

  // Sections that are decoded and validated now but served by later work: say so
  // rather than let an operator believe they are on.
  if (config.http_api.enabled) log.warn(`http_api is enabled but not served yet: nothing listens on ${config.http_api.bind}`);
  if (config.websocket.enabled) log.warn('websocket is enabled but not served yet');
  for (const warning of inertKeyWarnings(config)) log.warn(warning);

  if (opened.fallbackReason) {
    handler.handle(
      selfIncident('PanicMode storage fallback', `incident database unavailable, recording in memory only: ${opened.fallbackReason}`, 'self_check:storage', now()),
    );
  }

  log.info('watching', {
    host: machine,
    rules: rules.monitorRules,
    anomaly: config.anomaly.enabled,
    ssh_monitors: ssh.incidents.length,
    log_failures_monitors: jails.incidents.length,
    file_monitors: files.incidents.length,
    supervised: config.processes.filter((p) => p.enabled).length,
    interval_ms: config.performance.check_interval,
    database: opened.path,
    dry_run: config.dry_run,
  });

  return {
    stop: async (timeoutMs) => {
      const deadline = now() + timeoutMs;
      const left = () => Math.max(0, deadline - now());
      detection.unsubscribe(); // sources stop: no new incidents
      await ctl?.close();
      await firstValueFrom(race(from(handler.idle()), timer(left(), scheduler)));
      await executor.drain(left());
      await supervisor?.settled(); // its last state (a restart_process included) is in SQLite before a reload reads it
      await firewall?.stop();
      alerts$.complete();
      await writer.close();
      await alerting.drain(left());
      await alertPath.settled();
      await alerting.close();
      storageFailureSub.unsubscribe();
    },
  };
};

export const startAgent = async (initial: Config, deps: AgentDeps): Promise<RunningAgent> => {
  const host = deps.host ?? createHost();
  const scheduler = deps.scheduler ?? asyncScheduler;
  const logger = deps.logger;
  let config = initial;
  let opened = await openDatabase(config.storage.incident_db);
  if (opened.fallbackReason) logger.error('storage fallback to memory', { reason: opened.fallbackReason });
  const shared = () => ({ host, logger, opened, scheduler });
  let pipeline: Pipeline | null = await startPipeline(config, shared());

  // One pipeline at a time: a reload and a stop never overlap (each waits for the one
  // before), and nothing starts a pipeline once stop has begun, so none is left running.
  let stopped = false;
  let last: Promise<unknown> = Promise.resolve();
  const oneAtATime = <T>(work: () => Promise<T>): Promise<T> => {
    const p = last.then(work);
    last = p.catch(() => undefined);
    return p;
  };

  return {
    stop: (timeoutMs) => {
      const deadline = scheduler.now() + timeoutMs;
      stopped = true;
      return oneAtATime(async () => {
        await pipeline?.stop(Math.max(0, deadline - scheduler.now()));
        pipeline = null;
        await opened.close();
      });
    },
    reload: (next) =>
      oneAtATime(async () => {
        if (stopped || !pipeline) return;
        await pipeline.stop(10_000);
        pipeline = null;
        if (stopped) return; // a stop came in while the old pipeline was stopping
        if (next.storage.incident_db !== config.storage.incident_db) {
          await opened.close();
          opened = await openDatabase(next.storage.incident_db);
        }
        config = next;
        pipeline = await startPipeline(config, shared());
      }),
  };
};
