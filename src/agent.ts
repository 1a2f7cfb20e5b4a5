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
import { asyncScheduler, firstValueFrom, from, interval, race, Subject, Subscription, timer, type Observable, type SchedulerLike } from 'rxjs';
import type { Config } from './config/schema.js';
import type { Logger } from './log/logger.js';
import { createHost, type Host } from './host/host.js';
import { openDatabase, type OpenedDatabase } from './storage/database.js';
import { createIncidentWriter } from './storage/incidents-repository.js';
import { loadDedupState, pruneDedupState, saveDedupEntry } from './storage/dedup-repository.js';
import { pruneOldRows } from './storage/retention.js';
import { createDetection } from './pipeline/detection-pipeline.js';
import { selfCheckNotes } from './rules/self-check-rules.js';
import { metricsStalled } from './rules/metrics-stalled.js';
import { selfIncident } from './model/self-incident.js';
import type { PendingAlert } from './incidents/incident-flow.js';
import type { ActionRunRecord } from './actions/executor.js';
import { buildActions, usedConnectionRates, type ActionDeps } from './actions/registry.js';
import { cpuCapVictim } from './throttle/cpu-cap-victim.js';
import { createCpuCapper } from './throttle/cpu-capper.js';
import { readProcessTable } from './collectors/processes.js';
import type { Incident } from './model/incident.js';
import type { Metrics } from './model/metrics.js';
import { dedup, DEFAULT_DEDUP_WINDOW_MS } from '../streams/dedup.js';
import { metricsStream } from './collectors/metrics-stream.js';
import { createCollectors } from './collectors/registry.js';
import { createAlerting, type Alerting } from './alerts/alerting.js';
import { startAlertPath } from './alerts/alert-path.js';
import { createConnectionLimiter, createFirewall } from './firewall/create-firewall.js';
import type { BanManager } from './firewall/ban-manager.js';
import { startCtlSocket, type CtlSocket } from './api/ctl-socket.js';
import { sshMonitors } from './auth/ssh-monitors.js';
import { logFailureMonitors } from './auth/log-failure-monitors.js';
import { fileMonitors } from './files/file-monitors.js';
import { inertKeyWarnings } from './config/key-effects.js';
import { forkBombDefence } from './processes/fork-bomb-defence.js';
import { spareFrom } from './actions/spare.js';
import { viewOf, viewReadingOnDemand } from './actions/process-view.js';
import { createFrozenRegistry, type FrozenRegistry } from './actions/frozen-registry.js';
import { createVictimLedger, type VictimLedger } from './actions/victim-ledger.js';
import { userNames } from './actions/user-name.js';
import { defaultMassFreezePolicy, type MassFreezePolicy } from './config/mass-freeze.js';
import { deleteFrozen, loadFrozen, saveFrozen } from './storage/frozen-repository.js';
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
  /** mass_freeze.yaml (loaded and checked by `run`); default: the policy's defaults */
  massFreeze?: MassFreezePolicy;
}

export interface RunningAgent {
  /** stops sources, lets in-flight work finish (bounded, a reload in progress included), drains alerts, closes storage */
  stop(timeoutMs: number): Promise<void>;
  /**
   * swaps in a new (already validated) config without losing queued alerts; waits for
   * a reload or stop in progress; after stop, does nothing
   */
  reload(config: Config, massFreeze?: MassFreezePolicy): Promise<void>;
}

interface Pipeline {
  stop(timeoutMs: number): Promise<void>;
}

const startPipeline = async (
  config: Config,
  shared: { host: Host; logger: Logger; opened: OpenedDatabase; scheduler: SchedulerLike; frozen: FrozenRegistry; victims: VictimLedger; massFreeze: MassFreezePolicy },
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
      scheduler,
      onStorageFailure: (message) =>
        raiseStorageFailure('self_check:storage_bans', 'PanicMode bans not recorded', `bans stay in force but cannot be recorded in ${opened.path} (lifted on time from memory, written when it has room): ${message}`),
    });
    const report = await firewall.start();
    if (report.added.length + report.removed.length + report.expired.length > 0) {
      log.info('firewall reconciled with the database', { restored: report.added.length, removed: report.removed.length, expired: report.expired.length });
    }
  }
  // The control socket serves bans (when the firewall is on) and frozen processes (always).
  try {
    ctl = await startCtlSocket({ path: config.firewall.ctl_socket, handler: { bans: firewall, frozen: shared.frozen }, logger: logger.child('ctl') });
  } catch (err) {
    // The control socket is auxiliary: without it the agent still detects and acts.
    log.warn('control socket unavailable; `panicmode ctl` will not reach this agent', { error: (err as Error).message });
  }

  // rate_limit: per-source connection limits beside the bans (same table); CPU caps for
  // process incidents, lifted when their incident resolves (resolvedKeys$, fed below).
  const resolvedKeys$ = new Subject<string>();
  let connectionLimiter: ActionDeps['connectionLimiter'] = 'firewall.enabled is false';
  const rates = usedConnectionRates(config);
  if (config.firewall.enabled && rates.length > 0) {
    const limiter = createConnectionLimiter({ options: config.firewall, circuit: config.circuit_breakers, logger: logger.child('firewall'), dryRun: config.dry_run, rates, scheduler });
    connectionLimiter = typeof limiter === 'string' ? limiter : await limiter.start().then(() => limiter, (err: Error) => err.message);
    if (typeof connectionLimiter === 'string') log.warn(`rate_limit will not limit connections: ${connectionLimiter}`);
  }
  const wait = (ms: number) => firstValueFrom(timer(ms, scheduler)).then(() => undefined);
  /** the never-touched rule over the processes of this moment */
  const spareNow = async () => spareFrom(viewOf(host, await readProcessTable(host)), { whitelist: config.process_whitelist });
  const capper = createCpuCapper({
    host, logger: logger.child('cpu_caps'), scheduler,
    spareNow,
    isFrozen: (pid) => shared.frozen.list().some((f) => f.pid === pid),
  });
  const cpuCaps: ActionDeps['cpuCaps'] = { capper, pickVictim: cpuCapVictim({ host, wait, whitelist: config.process_whitelist, logger: logger.child('cpu_caps') }) };


  // ── process actions ──────────────────────────────────────────────────────────
  const processDeps = {
    host, logger: logger.child('actions'), frozen: shared.frozen, victims: shared.victims, userName: userNames(), now,
    wait,
  };
  // Supervision (processes:): each service checked every check_interval, restarted within
  // its budget (state in SQLite, written behind); restart_process goes through it too and
  // spares what every process action spares.
  const supervisor = config.processes.some((p) => p.enabled)
    ? await createSupervisor(config.processes, {
        host, db, logger: logger.child('supervision'), scheduler, intervalMs: config.performance.check_interval, commandTimeoutMs: config.circuit_breakers.timeout, dryRun: config.dry_run,
        spare: async (pid) => (await spareNow())(pid),
      })
    : null;
  const actions = buildActions(config, { host, logger: logger.child('actions'), firewall, processes: processDeps, massFreeze: shared.massFreeze, connectionLimiter, cpuCaps, resolvedKeys$, supervisor });
  for (const [name, reason] of actions.unavailable) log.warn(`action ${name} is not available yet: it will be logged and skipped`, { reason });
  const recordRun = (run: ActionRunRecord) => {
    void db
      .insertInto('action_runs')
      .values(run)
      .execute()
      .catch((err) => log.error('action record failed', { error: (err as Error).message }));
  };

  // The alert path outlives detection at shutdown: incidents still being handled must
  // reach the outbox, so it is completed (not unsubscribed) once the handler is idle.
  const alerts$ = new Subject<PendingAlert>();
  const alertPath = await startAlertPath(alerts$, { db, alerting, logger: logger.child('alerts'), scheduler });

  for (const note of selfCheckNotes(config.performance)) log.warn(note);
  const start = now();
  await pruneDedupState(db, start, DEFAULT_DEDUP_WINDOW_MS);
  const dedupInitial = await loadDedupState(db, start, DEFAULT_DEDUP_WINDOW_MS);

  // The decision path (executor, handler, incident flow, supervised detectors) is the
  // one virtual-time tests run (src/pipeline/detection-pipeline.ts); the agent adds
  // storage and the alert path at its edges.
  const { handler, executor, start: startDetection } = createDetection(config, {
    scheduler,
    actions: actions.registry,
    logger,
    recordIncident: (incident) => {
      writer.write(incident);
      alertPath.owe(incident);
    },
    recordAction: recordRun,
    unavailable: actions.unavailable,
    alert: (a) => alerts$.next(a),
    resolved: (key) => resolvedKeys$.next(key),
    dedupInitial,
    onDedupRecord: (key, ts) => void saveDedupEntry(db, key, ts).catch(() => undefined),
  });
  handlerReady = true;
  for (const incident of early.splice(0)) handler.handle(incident);

  // Detection
  const metrics$: Observable<Metrics> = metricsStream(host, {
    intervalMs: config.performance.check_interval,
    collectors: createCollectors(config.collectors),
    custom: config.custom_metrics,
    logger: logger.child('collectors'),
    scheduler,
  });
  const ssh = sshMonitors(config, { host, db, logger: logger.child('ssh'), scheduler });
  const jails = logFailureMonitors(config, { db, logger: logger.child('log_failures'), scheduler });
  const files = fileMonitors(config, { logger: logger.child('file_monitor'), scheduler });
  // Fork-bomb defence (anomaly.fork_bomb): on its own 100 ms cadence, not the check
  // interval; it freezes and kills by itself (a bomb does not wait for the handler),
  // sparing what process actions spare, and reports each bomb as an incident.
  const forkBomb =
    config.anomaly.enabled && config.anomaly.fork_bomb.enabled
      ? forkBombDefence({
          host, options: config.anomaly.fork_bomb, dryRun: config.dry_run, record: recordRun, logger: logger.child('fork_bomb'), scheduler,
          spareIn: (table) => spareFrom(viewReadingOnDemand(host, table), { whitelist: config.process_whitelist }),
          onFrozen: (pids, reason) => shared.frozen.onFrozen(pids, reason, 'fork_bomb'),
          isFrozen: (pid) => shared.frozen.isFrozen(pid),
          onKilled: (pids) => shared.frozen.forget(pids),
        })
      : null;
  const rules = startDetection(metrics$, [
    ...[...ssh.incidents, ...jails.incidents, ...files.incidents].map(({ monitor, incidents$ }) => ({ name: monitor.name, escalateAfter: monitor.escalate_after, incidents$ })),
    ...(forkBomb ? [{ name: 'anomaly: fork bomb', incidents$: forkBomb.incidents$ }] : []),
    { name: 'metrics stream', incidents$: metrics$.pipe(metricsStalled({ intervalMs: config.performance.check_interval, scheduler })) },
    ...(supervisor ? [{ name: 'process supervision', incidents$: supervisor.incidents$ }] : []),
  ]);
  detection.add(rules.subscription);
  for (const { monitor, reason } of rules.unavailable) log.warn(`monitor "${monitor.name}": ${reason}; it will not fire`);

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
      // a fork bomb being frozen or killed is finished, not left half-frozen; one frozen
      // and waiting out its grace stays frozen (listed, and stored with the registry)
      forkBomb?.cancelWaitingKills();
      if (forkBomb) await firstValueFrom(race(from(forkBomb.settled()), timer(left(), scheduler)));
      await ctl?.close();
      await firstValueFrom(race(from(handler.idle()), timer(left(), scheduler)));
      await executor.drain(left());
      await supervisor?.settled(); // its last state (a restart_process included) is in SQLite before a reload reads it
      await capper.stop(); // a CPU cap is lifted with the agent that holds it
      await firewall?.stop();
      resolvedKeys$.complete();
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
  // Frozen processes outlive a reload (and, through storage, a restart).
  const frozen = createFrozenRegistry({
    host, logger: logger.child('frozen'), scheduler,
    store: { save: (rows) => saveFrozen(opened.db, rows), remove: (keys) => deleteFrozen(opened.db, keys) },
  });
  await loadFrozen(opened.db).then(frozen.restore, (err) => logger.warn('frozen processes of a previous run not read', { error: (err as Error).message }));
  const victims = createVictimLedger();
  let massFreeze = deps.massFreeze ?? defaultMassFreezePolicy();
  const shared = () => ({ host, logger, opened, scheduler, frozen, victims, massFreeze });
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
        frozen.close();
        await opened.close();
      });
    },
    reload: (next, nextMassFreeze) =>
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
        if (nextMassFreeze) massFreeze = nextMassFreeze;
        pipeline = await startPipeline(config, shared());
      }),
  };
};
