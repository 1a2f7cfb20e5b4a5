/**
 * Runs an incident's actions: protective ones first and awaited (bounded concurrency,
 * a per-action timeout, a circuit breaker per action so a broken block script is not
 * called 10,000 times a second; only the action's own failures count, never storage's),
 * background ones after without holding anything up.
 * Every run is recorded; every failure is logged and never stops the alert.
 */
import type { Incident } from '../model/incident.js';
import type { Action, ActionOutcome } from './action.js';
import type { Logger } from '../log/logger.js';
import { createCircuitBreaker, type CircuitBreaker } from '../../streams/circuitBreaker.js';
import { StorageError } from '../errors.js';

export interface ActionRunRecord {
  ts: number;
  incident_key: string;
  action: string;
  target: string | null;
  outcome: 'ok' | 'failed' | 'skipped' | 'dry_run';
  message: string | null;
  duration_ms: number;
}

export interface ExecutorOptions {
  actions: Map<string, Action>;
  dryRun: boolean;
  timeoutMs: number;
  maxConcurrency: number;
  breaker: { maxFailures: number; failureWindowMs: number; openDurationMs: number };
  logger: Logger;
  record?: (run: ActionRunRecord) => void;
  now?: () => number;
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
  /** Starts the background actions; does not wait for them. */
  runBackground(incident: Incident): void;
  /** Waits for in-flight actions, at most `timeoutMs`. */
  drain(timeoutMs: number): Promise<void>;
}

export const createActionExecutor = (o: ExecutorOptions): ActionExecutor => {
  const now = o.now ?? Date.now;
  const breakers = new Map<string, CircuitBreaker>();
  const inFlight = new Set<Promise<unknown>>();
  let running = 0;
  const waiting: (() => void)[] = [];

  const acquire = async () => {
    if (running < o.maxConcurrency) {
      running++;
      return;
    }
    await new Promise<void>((r) => waiting.push(r));
  };
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else running--;
  };

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

  const runOne = async (incident: Incident, name: string): Promise<{ summary: string | null; done: boolean }> => {
    const action = o.actions.get(name);
    if (!action) return { summary: null, done: true };
    const started = now();
    const record = (outcome: ActionRunRecord['outcome'], message: string | null, target: string | null = null) =>
      o.record?.({ ts: started, incident_key: incident.key, action: name, target, outcome, message, duration_ms: now() - started });
    const breaker = breakerFor(name);
    if (!breaker.canRun()) {
      o.logger.warn('action skipped: circuit open after repeated failures', { action: name, incident: incident.name });
      record('skipped', 'circuit open');
      return { summary: null, done: false };
    }
    await acquire();
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    try {
      const result = await Promise.race<ActionOutcome>([
        action.run({ incident, dryRun: o.dryRun, signal: controller.signal }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            controller.abort();
            reject(new Error(`timed out after ${o.timeoutMs} ms`));
          }, o.timeoutMs);
        }),
      ]);
      breaker.recordSuccess();
      record(result.outcome, result.summary, result.target ?? null);
      if (result.outcome === 'dry_run') o.logger.info(`dry-run: ${result.summary}`, { action: name, incident: incident.name });
      else if (result.summary) o.logger.info(result.summary, { action: name, incident: incident.name });
      return { summary: result.summary || null, done: true };
    } catch (err) {
      // The breaker protects against a broken action (a failing block script), not a
      // failing disk: a storage error must never stop protection.
      if (!(err instanceof StorageError)) breaker.recordFailure();
      const message = (err as Error).message;
      o.logger.error('action failed', { action: name, incident: incident.name, error: message });
      record('failed', message);
      return { summary: `${name} failed: ${message}`, done: false };
    } finally {
      clearTimeout(timer);
      release();
    }
  };

  const track = <T>(p: Promise<T>): Promise<T> => {
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
    return p;
  };

  const namesOf = (incident: Incident, kind: Action['kind']) =>
    incident.actions.filter((a) => !alertActions.has(a) && o.actions.get(a)?.kind === kind);

  return {
    runProtective: async (incident) => {
      const results = await track(Promise.all(namesOf(incident, 'protective').map((n) => runOne(incident, n))));
      return { taken: results.flatMap((r) => (r.summary ? [r.summary] : [])), carriedOut: results.every((r) => r.done) };
    },
    runBackground: (incident) => {
      for (const n of namesOf(incident, 'background')) void track(runOne(incident, n));
    },
    drain: async (timeoutMs) => {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...inFlight]),
        new Promise((r) => {
          timer = setTimeout(r, timeoutMs);
        }),
      ]);
      clearTimeout(timer);
    },
  };
};
