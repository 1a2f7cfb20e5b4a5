/**
 * Runs an incident's actions: protective ones first and awaited (bounded concurrency,
 * a per-action timeout, a circuit breaker per action so a broken block script is not
 * called 10,000 times a second; only the action's own failures count, never storage's),
 * background ones after without holding anything up.
 * Every run is recorded; every failure is logged and never stops the alert.
 *
 * One queue of runs through `withCircuitBreaker` (a breaker per action, `mergeMap`'s
 * concurrency limit as the semaphore) with RxJS `timeout` on the injected scheduler;
 * the promise API at the edge is what the incident handler awaits.
 */
import type { Incident } from '../model/incident.js';
import type { Action, ActionOutcome } from './action.js';
import type { Logger } from '../log/logger.js';
import type { CircuitBreakersConfig } from '../config/schema.js';
import { asyncScheduler, BehaviorSubject, defer, filter, firstValueFrom, forkJoin, from, map, Observable, of, race, type ObservableInput, Subject, throwError, timeout, timer, type SchedulerLike } from 'rxjs';
import { createCircuitBreaker, type CircuitBreaker } from '../../streams/circuitBreaker.js';
import { withCircuitBreaker, type BreakerResult } from '../../streams/withCircuitBreaker.js';
import { ActionError, StorageError } from '../errors.js';

export interface ActionRunRecord {
  ts: number;
  incident_key: string;
  action: string;
  target: string | null;
  outcome: 'ok' | 'failed' | 'skipped' | 'dry_run';
  message: string | null;
  duration_ms: number;
}

/** The executor's limits, as `circuit_breakers:` writes them. */
export const executorLimits = (c: CircuitBreakersConfig): Pick<ExecutorOptions, 'timeoutMs' | 'maxConcurrency' | 'breaker'> => ({
  timeoutMs: c.timeout,
  maxConcurrency: c.max_concurrency,
  breaker: { maxFailures: c.max_failures, failureWindowMs: c.failure_window, openDurationMs: c.open_duration },
});

export interface ExecutorOptions {
  actions: Map<string, Action<ObservableInput<ActionOutcome>>>;
  dryRun: boolean;
  timeoutMs: number;
  maxConcurrency: number;
  breaker: { maxFailures: number; failureWindowMs: number; openDurationMs: number };
  logger: Logger;
  record?: (run: ActionRunRecord) => void;
  /**
   * action name → why it cannot run here (registry.ts `unavailable`): a firing incident
   * naming one records a `skipped` run with the reason, at the incident's time
   */
  unavailable?: ReadonlyMap<string, string>;
  /** the pipeline's clock: run timestamps, durations, timeouts, breaker windows (default asyncScheduler) */
  scheduler?: SchedulerLike;
}

/** Alert routing is by severity, not an action to run. */
const alertActions = new Set(['alert_critical', 'alert_warning', 'alert_info']);

/** What the protective actions of one incident did. */
export interface ProtectiveOutcome {
  /** one phrase per action that did something, for the alert */
  taken: string[];
  /** false when one of them failed, timed out or was skipped by its open circuit */
  carriedOut: boolean;
}

export interface ActionExecutor {
  /** Runs the protective actions of the incident; resolves with what was done. */
  runProtective(incident: Incident): Promise<ProtectiveOutcome>;
  /** The same as an Observable (one value): synchronous when the actions are, so it keeps virtual time. */
  protective$(incident: Incident): Observable<ProtectiveOutcome>;
  /** Starts the background actions; does not wait for them. */
  runBackground(incident: Incident): void;
  /** Waits for in-flight actions, at most `timeoutMs`. */
  drain(timeoutMs: number): Promise<void>;
}

export const createActionExecutor = (o: ExecutorOptions): ActionExecutor => {
  const scheduler = o.scheduler ?? asyncScheduler;
  const now = () => scheduler.now();
  const breakers = new Map<string, CircuitBreaker>();

  const breakerFor = (name: string): CircuitBreaker => {
    let b = breakers.get(name);
    if (!b) {
      b = createCircuitBreaker({
        maxFailures: o.breaker.maxFailures,
        failureWindowMs: o.breaker.failureWindowMs,
        openDurationMs: o.breaker.openDurationMs,
        now,
      });
      breakers.set(name, b);
    }
    return b;
  };

  interface Run {
    incident: Incident;
    name: string;
    action: Action<ObservableInput<ActionOutcome>>;
    started: number;
    settle: (r: { summary: string | null; done: boolean }) => void;
  }

  /** One attempt: the action's promise, aborted and failed once it outlives `timeoutMs`. */
  const attempt = (r: Run) =>
    defer(() => {
      const controller = new AbortController();
      return from(r.action.run({ incident: r.incident, dryRun: o.dryRun, signal: controller.signal })).pipe(
        timeout({
          first: o.timeoutMs,
          scheduler,
          with: () => {
            controller.abort();
            return throwError(() => new ActionError(r.name, `timed out after ${o.timeoutMs} ms`));
          },
        }),
      );
    });

  const report = (res: BreakerResult<Run, ActionOutcome>): { summary: string | null; done: boolean } => {
    const { incident, name, started } = res.input;
    const record = (outcome: ActionRunRecord['outcome'], message: string | null, target: string | null = null) =>
      o.record?.({ ts: started, incident_key: incident.key, action: name, target, outcome, message, duration_ms: now() - started });
    if (res.outcome === 'rejected') {
      o.logger.warn('action skipped: circuit open after repeated failures', { action: name, incident: incident.name });
      record('skipped', 'circuit open');
      return { summary: null, done: false };
    }
    if (res.outcome === 'failed') {
      // The breaker protects against a broken action (a failing block script), not a
      // failing disk: a storage error never counts against it (isFailure below).
      const message = (res.error as Error).message;
      o.logger.error('action failed', { action: name, incident: incident.name, error: message });
      record('failed', message);
      return { summary: `${name} failed: ${message}`, done: false };
    }
    const result = res.value;
    record(result.outcome, result.summary, result.target ?? null);
    if (result.outcome === 'dry_run') o.logger.info(`dry-run: ${result.summary}`, { action: name, incident: incident.name });
    else if (result.summary) o.logger.info(result.summary, { action: name, incident: incident.name });
    return { summary: result.summary || null, done: true };
  };

  const runs$ = new Subject<Run>();
  runs$
    .pipe(withCircuitBreaker((r: Run) => breakerFor(r.name), attempt, { concurrency: o.maxConcurrency, isFailure: (e) => !(e instanceof StorageError) }))
    .subscribe((res) => {
      let outcome = { summary: null as string | null, done: false };
      try {
        outcome = report(res);
      } finally {
        res.input.settle(outcome); // a throwing logger or recorder must not leave the incident waiting
      }
    });

  /** runs queued or in flight; drain waits for 0 */
  const inFlight = new BehaviorSubject(0);
  type RunResult = { summary: string | null; done: boolean };

  const runOne$ = (incident: Incident, name: string): Observable<RunResult> =>
    new Observable<RunResult>((subscriber) => {
      const action = o.actions.get(name);
      if (!action) {
        subscriber.next({ summary: null, done: true });
        subscriber.complete();
        return;
      }
      inFlight.next(inFlight.value + 1);
      runs$.next({
        incident, name, action, started: now(),
        settle: (r) => {
          inFlight.next(inFlight.value - 1);
          subscriber.next(r);
          subscriber.complete();
        },
      });
    });

  const namesOf = (incident: Incident, kind: Action['kind']) =>
    incident.actions.filter((a) => !alertActions.has(a) && o.actions.get(a)?.kind === kind);

  const recordUnavailable = (incident: Incident) => {
    for (const name of incident.actions) {
      const reason = o.unavailable?.get(name);
      if (reason === undefined || o.actions.has(name)) continue;
      o.logger.debug('action skipped: not available', { action: name, incident: incident.name, reason });
      o.record?.({ ts: now(), incident_key: incident.key, action: name, target: null, outcome: 'skipped', message: `not available: ${reason}`, duration_ms: 0 });
    }
  };

  const protective$ = (incident: Incident): Observable<ProtectiveOutcome> => {
    recordUnavailable(incident);
    const names = namesOf(incident, 'protective');
    if (names.length === 0) return of({ taken: [], carriedOut: true });
    return forkJoin(names.map((n) => runOne$(incident, n))).pipe(
      map((results) => ({ taken: results.flatMap((r) => (r.summary ? [r.summary] : [])), carriedOut: results.every((r) => r.done) })),
    );
  };

  return {
    runProtective: (incident) => firstValueFrom(protective$(incident)),
    protective$,
    runBackground: (incident) => {
      for (const n of namesOf(incident, 'background')) runOne$(incident, n).subscribe();
    },
    drain: async (timeoutMs) => {
      await firstValueFrom(race(inFlight.pipe(filter((n) => n === 0)), timer(timeoutMs, scheduler)));
    },
  };
};
