/**
 * The agent's decision path on one scheduler, with its I/O edges cut: metrics (and any
 * event detectors) in; the incidents recorded, the action runs and the alerts out of
 * the rate limit, each stamped with the scheduler's time. Under a TestScheduler the
 * whole path — rules, dedup, escalation, handler, executor, alert rate limit — runs in
 * virtual time; `panicmode test` and the TypeScript testing API build on it.
 *
 *   metrics$ ── rules ── dedup · escalate ─┐
 *   events ────────────── dedup · escalate ─┴─► handler ── protective actions ─► alerts ── rate limit
 *
 * What the agent adds around the same pieces is storage and delivery (SQLite records,
 * owed alerts, the outbox), which a test replaces by the events below.
 */
import { Observable, Subject, type ObservableInput, type SchedulerLike } from 'rxjs';
import type { Config } from '../config/schema.js';
import type { Incident } from '../model/incident.js';
import type { Metrics } from '../model/metrics.js';
import type { Logger } from '../log/logger.js';
import type { Action, ActionOutcome } from '../actions/action.js';
import { createActionExecutor, executorLimits, type ActionRunRecord } from '../actions/executor.js';
import { createIncidentHandler } from '../incidents/incident-handler.js';
import { alertRateLimit, DEFAULT_ALERT_WINDOWS, incidentFlow, type PendingAlert, type RateLimitedAlert } from '../incidents/incident-flow.js';
import { DEFAULT_DEDUP_WINDOW_MS } from '../../streams/dedup.js';
import { supervise } from '../../streams/supervise.js';
import { ruleDetectors, type Detector } from './rule-detectors.js';

export type PipelineEvent =
  | { kind: 'incident'; at: number; incident: Incident }
  | { kind: 'action'; at: number; run: ActionRunRecord }
  | { kind: 'alert'; at: number; alert: RateLimitedAlert };

export interface DetectionPipelineOptions {
  /** the one clock: every timer and timestamp of the path */
  scheduler: SchedulerLike;
  metrics$: Observable<Metrics>;
  /** event-driven detectors (SSH, log jails), incidents before dedup */
  events?: { name: string; escalateAfter?: number; incidents$: Observable<Incident> }[];
  /** the actions by name; a recorder answering with `of(outcome)` keeps virtual time */
  actions: Map<string, Action<ObservableInput<ActionOutcome>>>;
  logger: Logger;
}

/**
 * Subscribing builds and starts the path; unsubscribing stops it. Subscribe once (or
 * `share()`): each subscription is a pipeline of its own.
 */
export const detectionPipeline = (config: Config, o: DetectionPipelineOptions): Observable<PipelineEvent> =>
  new Observable<PipelineEvent>((subscriber) => {
    const { scheduler } = o;
    const emit = (e: PipelineEvent) => subscriber.next(e);
    const executor = createActionExecutor({
      actions: o.actions,
      dryRun: config.dry_run,
      ...executorLimits(config.circuit_breakers),
      logger: o.logger.child('actions'),
      record: (run) => emit({ kind: 'action', at: scheduler.now(), run }),
      scheduler,
    });
    const alerts$ = new Subject<PendingAlert>();
    const alertSub = alerts$.pipe(alertRateLimit(DEFAULT_ALERT_WINDOWS, scheduler)).subscribe((alert) => emit({ kind: 'alert', at: scheduler.now(), alert }));
    const handler = createIncidentHandler({
      executor,
      alert: (incident, actionsTaken) => alerts$.next({ incident, actionsTaken }),
      record: (incident) => emit({ kind: 'incident', at: scheduler.now(), incident }),
      logger: o.logger.child('incidents'),
      scheduler,
    });
    const flow = (escalateAfter?: number) =>
      incidentFlow({
        dedupWindowMs: DEFAULT_DEDUP_WINDOW_MS,
        awaitsProtection: (i) => i.status === 'firing' && i.actions.some((a) => o.actions.get(a)?.kind === 'protective'),
        escalateAfter,
        scheduler,
      });
    const detectors: Detector[] = [
      ...ruleDetectors(config, o.metrics$, flow).detectors,
      ...(o.events ?? []).map((e) => ({ name: e.name, incidents$: e.incidents$.pipe(flow(e.escalateAfter)) })),
    ];
    const subs = detectors.map((d) =>
      d.incidents$.pipe(supervise({ scheduler })).subscribe({
        next: (incident) => handler.handle(incident),
        error: (err) => subscriber.error(err),
      }),
    );
    return () => {
      for (const s of subs) s.unsubscribe();
      alertSub.unsubscribe();
    };
  });
