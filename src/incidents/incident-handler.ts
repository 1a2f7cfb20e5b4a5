/**
 * Handles incidents that passed dedup: protective actions first (awaited, so the alert
 * can say what was done), then `onHandled` (whether they were carried out: dedup and the
 * SSH log cursor wait for it), then the alert, then background actions, and the record
 * in SQLite. A backlog is worked critical-first, a few
 * incidents at a time, so one slow action never holds up an unrelated critical.
 */
import type { Incident } from '../model/incident.js';
import { severityRank } from '../model/incident.js';
import type { ActionExecutor } from '../actions/executor.js';
import type { Logger } from '../log/logger.js';

export interface IncidentSinks {
  executor: ActionExecutor;
  /** hands the alert to the outbox; must not throw for a channel that is down */
  alert(incident: Incident, actionsTaken: string[]): void | Promise<void>;
  record(incident: Incident): void;
  logger: Logger;
  /** incidents handled at once (default 4) */
  concurrency?: number;
}

export interface IncidentHandler {
  handle(incident: Incident): void;
  /** resolves when the queue is empty and nothing is in flight */
  idle(): Promise<void>;
  readonly queued: number;
}

export const createIncidentHandler = (s: IncidentSinks): IncidentHandler => {
  const queues: Incident[][] = [[], [], []]; // by severity rank: info, warning, critical
  const concurrency = s.concurrency ?? 4;
  let active = 0;
  let idleWaiters: (() => void)[] = [];

  const next = (): Incident | undefined => queues[2]!.shift() ?? queues[1]!.shift() ?? queues[0]!.shift();
  const size = () => queues[0]!.length + queues[1]!.length + queues[2]!.length;

  const process1 = async (incident: Incident): Promise<void> => {
    s.record(incident);
    let taken: string[] = [];
    let carriedOut = true;
    try {
      if (incident.status === 'firing') ({ taken, carriedOut } = await s.executor.runProtective(incident));
    } catch (err) {
      carriedOut = false;
      s.logger.error('protective actions failed', { incident: incident.name, error: (err as Error).message });
    }
    try {
      incident.onHandled?.(carriedOut);
    } catch (err) {
      s.logger.error('incident hand-off failed', { incident: incident.name, error: (err as Error).message });
    }
    try {
      await s.alert(incident, taken);
    } catch (err) {
      s.logger.error('alert hand-off failed', { incident: incident.name, error: (err as Error).message });
    }
    if (incident.status === 'firing') s.executor.runBackground(incident);
  };

  const pump = () => {
    while (active < concurrency) {
      const incident = next();
      if (!incident) break;
      active++;
      void process1(incident).finally(() => {
        active--;
        pump();
      });
    }
    if (active === 0 && size() === 0) {
      const w = idleWaiters;
      idleWaiters = [];
      for (const r of w) r();
    }
  };

  return {
    handle: (incident) => {
      queues[severityRank[incident.severity]]!.push(incident);
      // Deferred to a microtask so incidents raised by the same tick are all queued
      // before the first is picked: that is what makes the order critical-first.
      queueMicrotask(pump);
    },
    idle: () => (active === 0 && size() === 0 ? Promise.resolve() : new Promise<void>((r) => idleWaiters.push(r))),
    get queued() {
      return size();
    },
  };
};
