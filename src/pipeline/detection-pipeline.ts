/**
 * The agent's decision path, built once for the agent and for virtual-time tests:
 * the executor, the incident handler, the incident flow (dedup, escalate) and every
 * detector — the config's rules over the metrics stream and the event detectors —
 * each supervised on its own. What is recorded where, and where alerts go, are the
 * caller's: the agent writes SQLite and feeds its alert path (src/agent.ts); a test
 * records events (`detectionPipeline` below, `panicmode test`, `panicmode/testing`).
 *
 *   metrics$ ── rules ── dedup · escalate ─┐
 *   events ────────────── dedup · escalate ─┴─► handler ── protective actions ─► alert(...)
 *                                                  └─ recordIncident, recordAction
 */
import { catchError, concat, EMPTY, NEVER, Observable, Subject, Subscription, type MonoTypeOperatorFunction, type ObservableInput, type SchedulerLike } from 'rxjs';
import type { Config } from '../config/schema.js';
import type { Incident } from '../model/incident.js';
import type { Metrics } from '../model/metrics.js';
import type { Logger } from '../log/logger.js';
import type { Action, ActionOutcome } from '../actions/action.js';
import { createActionExecutor, executorLimits, type ActionExecutor, type ActionRunRecord } from '../actions/executor.js';
import { createIncidentHandler, type IncidentHandler } from '../incidents/incident-handler.js';
import { alertRateLimit, DEFAULT_ALERT_WINDOWS, incidentFlow, type PendingAlert, type RateLimitedAlert } from '../incidents/incident-flow.js';
import { DEFAULT_DEDUP_WINDOW_MS } from '../../streams/dedup.js';
import { supervise } from '../../streams/supervise.js';
import { reportDetectorStop } from '../rules/detector-stopped.js';
import { selfIncident } from '../model/self-incident.js';
import { ruleDetectors, type RuleDetectors } from './rule-detectors.js';

/** An event-driven detector (SSH, a log jail, files, the metrics-stalled check): incidents before dedup. */
export interface EventDetector {
  name: string;
  /** the monitor's `escalate_after` */
  escalateAfter?: number;
  incidents$: Observable<Incident>;
}

export interface DetectionDeps {
  /** the one clock: every timer and timestamp of the path */
  scheduler: SchedulerLike;
  /** the actions by name; a recorder answering with `of(outcome)` keeps virtual time */
  actions: Map<string, Action<ObservableInput<ActionOutcome>>>;
  logger: Logger;
  /** an incident as the handler takes it up, before its actions */
  recordIncident(incident: Incident): void;
  /** an action run, as the executor finishes it */
  recordAction(run: ActionRunRecord): void;
  /** action name → why it cannot run: each run of it is recorded as skipped */
  unavailable?: ReadonlyMap<string, string>;
  /** an alert, raised after the incident's protective actions */
  alert(alert: PendingAlert): void;
  /** the key of each incident that resolves, as detected (a CPU cap lifts with its incident) */
  resolved?: (key: string) => void;
  /** dedup state from before a restart */
  dedupInitial?: Iterable<readonly [string, number]>;
  onDedupRecord?: (key: string, ts: number) => void;
}

export interface Detection {
  handler: IncidentHandler;
  executor: ActionExecutor;
  /**
   * Starts the config's rules over `metrics$` and the event detectors, each supervised
   * alone (retried with backoff, reported as a self incident, given up alone; a source
   * that ends is reported too); unsubscribe to stop them.
   */
  start(metrics$: Observable<Metrics>, events: readonly EventDetector[]): { subscription: Subscription } & Omit<RuleDetectors, 'detectors'>;
}

export const createDetection = (config: Config, d: DetectionDeps): Detection => {
  const { scheduler } = d;
  const now = () => scheduler.now();
  const log = d.logger.child('agent');
  const executor = createActionExecutor({
    actions: d.actions,
    unavailable: d.unavailable,
    dryRun: config.dry_run,
    ...executorLimits(config.circuit_breakers),
    logger: d.logger.child('actions'),
    record: d.recordAction,
    scheduler,
  });
  const handler = createIncidentHandler({
    executor,
    alert: (incident, actionsTaken) => d.alert({ incident, actionsTaken }),
    record: d.recordIncident,
    logger: d.logger.child('incidents'),
    scheduler,
  });
  const flow = (escalateAfter?: number): MonoTypeOperatorFunction<Incident> =>
    incidentFlow({
      dedupWindowMs: DEFAULT_DEDUP_WINDOW_MS,
      dedupInitial: d.dedupInitial,
      onDedupRecord: d.onDedupRecord,
      // a ban is deduplicated only once it happened (incident-flow.ts)
      awaitsProtection: (i) => i.status === 'firing' && i.actions.some((a) => d.actions.get(a)?.kind === 'protective'),
      escalateAfter,
      scheduler,
    });

  const supervised = (name: string, incidents$: Observable<Incident>) =>
    incidents$.pipe(
      reportDetectorStop(name, now),
      supervise({
        scheduler,
        onFailure: (err, attempt, delayMs) => {
          const message = (err as Error)?.message ?? String(err);
          log.error(`"${name}" failed`, { attempt, retry_in_ms: delayMs ?? 'giving up', error: message });
          handler.handle(
            selfIncident(
              `PanicMode rule stopped: ${name}`,
              delayMs === null
                ? `"${name}" failed ${attempt} times in a row and is stopped until restart: ${message}`
                : `"${name}" failed (${attempt}), retrying in ${Math.round(delayMs / 1000)}s: ${message}`,
              `self_check:stream:${name}`,
              now(),
            ),
          );
        },
      }),
      catchError(() => EMPTY),
    );

  return {
    handler,
    executor,
    start: (metrics$, events) => {
      const { detectors, ...rules } = ruleDetectors(config, metrics$, flow);
      const subscription = new Subscription();
      for (const det of [...detectors, ...events.map((e) => ({ name: e.name, incidents$: e.incidents$.pipe(flow(e.escalateAfter)) }))]) {
        subscription.add(
          supervised(det.name, det.incidents$).subscribe((incident) => {
            if (incident.status === 'resolved') d.resolved?.(incident.key);
            handler.handle(incident);
          }),
        );
      }
      return { subscription, ...rules };
    },
  };
};

export type PipelineEvent =
  | { kind: 'incident'; at: number; incident: Incident }
  | { kind: 'action'; at: number; run: ActionRunRecord }
  | { kind: 'alert'; at: number; alert: RateLimitedAlert };

export interface DetectionPipelineOptions {
  scheduler: SchedulerLike;
  metrics$: Observable<Metrics>;
  /** event-driven detectors (SSH, log jails), incidents before dedup */
  events?: EventDetector[];
  actions: Map<string, Action<ObservableInput<ActionOutcome>>>;
  logger: Logger;
  /**
   * The agent's alert path (owed alerts, rate limit, outbox, channels) to hand alerts
   * to, as the agent does; then no `alert` events come out here (the path records them
   * itself). Default: alerts come out of the rate limit as `alert` events.
   */
  alertPath?: { owe(incident: Incident): void; alert(alert: PendingAlert): void };
}

/**
 * The decision path with its I/O edges cut, as an observable of what it did: the
 * incidents recorded, the action runs and the alerts out of the rate limit, each
 * stamped with the scheduler's time. Inputs that end do not stop it (a test's series
 * ends; the agent's collectors do not), so unsubscribe to stop. Subscribe once (or
 * `share()`): each subscription is a pipeline of its own.
 */
export const detectionPipeline = (config: Config, o: DetectionPipelineOptions): Observable<PipelineEvent> =>
  new Observable<PipelineEvent>((subscriber) => {
    const { scheduler } = o;
    const emit = (e: PipelineEvent) => subscriber.next(e);
    const alerts$ = new Subject<PendingAlert>();
    const alertSub = alerts$.pipe(alertRateLimit(DEFAULT_ALERT_WINDOWS, scheduler)).subscribe((alert) => emit({ kind: 'alert', at: scheduler.now(), alert }));
    const path = o.alertPath;
    const detection = createDetection(config, {
      scheduler,
      actions: o.actions,
      logger: o.logger,
      recordIncident: (incident) => {
        emit({ kind: 'incident', at: scheduler.now(), incident });
        path?.owe(incident);
      },
      recordAction: (run) => emit({ kind: 'action', at: scheduler.now(), run }),
      alert: (a) => (path ? path.alert(a) : alerts$.next(a)),
    });
    const endless = <T>(input$: Observable<T>) => concat(input$, NEVER);
    const { subscription } = detection.start(
      endless(o.metrics$),
      (o.events ?? []).map((e) => ({ ...e, incidents$: endless(e.incidents$) })),
    );
    return () => {
      subscription.unsubscribe();
      alertSub.unsubscribe();
    };
  });
