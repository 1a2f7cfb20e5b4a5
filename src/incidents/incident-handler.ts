/**
 * Handles incidents that passed dedup: protective actions first (awaited, so the alert
 * can say what was done), then `onHandled` (whether they were carried out: dedup and the
 * SSH log cursor wait for it), then the alert, then background actions, and the record
 * in SQLite. A backlog is worked critical-first, a few
 * incidents at a time, so one slow action never holds up an unrelated critical.
 *
 * The queue is hand-written rather than `mergeMap(handle, concurrency)`: mergeMap's
 * buffer is first-in first-out, and a critical incident must overtake queued warnings.
 * Each incident's work is an Observable, so with synchronous actions the whole hand-off
 * happens at the virtual instant the incident was raised.
 */
import { catchError, concatMap, defer, EMPTY, finalize, of, type Observable, type SchedulerLike } from 'rxjs';
import type { Incident } from '../model/incident.js';
import { severityRank } from '../model/incident.js';
import type { ActionExecutor } from '../actions/executor.js';
import type { Logger } from '../log/logger.js';

export interface IncidentSinks {
  executor: Pick<ActionExecutor, 'protective$' | 'runBackground'>;
  /** hands the alert to the outbox; must not throw for a channel that is down */
  alert(incident: Incident, actionsTaken: string[]): void | Promise<void>;
  record(incident: Incident): void;
  logger: Logger;
  /** incidents handled at once (default 4) */
  concurrency?: number;
  /**
   * Where the queue is worked after `handle` returns (default: a microtask). The
   * pipeline passes its scheduler, so under a TestScheduler an incident is handled at
   * the virtual instant it was raised.
   */
  scheduler?: SchedulerLike;
}

export interface IncidentHandler {
  handle(incident: Incident): void;
  /** resolves when the queue is empty and nothing is in flight */
  idle(): Promise<void>;
  readonly queued: number;
}

const nothingDone = { taken: [] as string[], carriedOut: true };

export const createIncidentHandler = (s: IncidentSinks): IncidentHandler => {
  const queues: Incident[][] = [[], [], []]; // by severity rank: info, warning, critical
  const concurrency = s.concurrency ?? 4;
  const later = s.scheduler ? (work: () => void) => void s.scheduler!.schedule(work) : queueMicrotask;
  let active = 0;
  let idleWaiters: (() => void)[] = [];

  const next = (): Incident | undefined => queues[2]!.shift() ?? queues[1]!.shift() ?? queues[0]!.shift();
  const size = () => queues[0]!.length + queues[1]!.length + queues[2]!.length;

  /** One incident, as an Observable: synchronous when its actions and alert are, so virtual time holds. */
  const handle1 = (incident: Incident): Observable<unknown> =>
    defer(() => {
      s.record(incident);
      return incident.status === 'firing' ? s.executor.protective$(incident) : of(nothingDone);
    }).pipe(
      catchError((err: unknown) => {
        s.logger.error('protective actions failed', { incident: incident.name, error: (err as Error).message });
        return of({ taken: [] as string[], carriedOut: false });
      }),
      concatMap(({ taken, carriedOut }) => {
        try {
          incident.onHandled?.(carriedOut);
        } catch (err) {
          s.logger.error('incident hand-off failed', { incident: incident.name, error: (err as Error).message });
        }
        return defer(() => s.alert(incident, taken) ?? EMPTY).pipe(
          catchError((err: unknown) => {
            s.logger.error('alert hand-off failed', { incident: incident.name, error: (err as Error).message });
            return EMPTY;
          }),
          finalize(() => {
            if (incident.status === 'firing') s.executor.runBackground(incident);
          }),
        );
      }),
    );

  let pumping = false;
  const pump = () => {
    if (pumping) return; // an incident finished synchronously inside the loop below: it goes on
    pumping = true;
    try {
      while (active < concurrency) {
        const incident = next();
        if (!incident) break;
        active++;
        handle1(incident).subscribe({ complete: finished, error: finished });
      }
    } finally {
      pumping = false;
    }
    if (active === 0 && size() === 0) {
      const w = idleWaiters;
      idleWaiters = [];
      for (const r of w) r();
    }
  };
  const finished = () => {
    active--;
    pump();
  };

  return {
    handle: (incident) => {
      queues[severityRank[incident.severity]]!.push(incident);
      // Deferred so incidents raised by the same tick are all queued before the first
      // is picked: that is what makes the order critical-first.
      later(pump);
    },
    idle: () => (active === 0 && size() === 0 ? Promise.resolve() : new Promise<void>((r) => idleWaiters.push(r))),
    get queued() {
      return size();
    },
  };
};
