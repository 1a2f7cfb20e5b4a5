/**
 * The agent's alert path: renders an incident into a message once, and hands it to the
 * durable outbox, which delivers it per channel with retries. Building a channel that
 * cannot work (an integration missing) is a config error caught at load; a channel
 * that fails at run time only ever affects itself. A severity with no route at all
 * still reaches a person: its alerts are written to stderr, never dropped.
 */
import { asyncScheduler, type SchedulerLike } from 'rxjs';
import { randomUUID } from 'node:crypto';
import type { Config } from '../config/schema.js';
import type { Db } from '../storage/schema.js';
import type { Logger } from '../log/logger.js';
import type { Incident, Severity } from '../model/incident.js';
import type { AlertChannel, AlertMessage } from './alert.js';
import { buildRouting, routesFor } from './routing.js';
import { createChannel } from './channels/index.js';
import { createConsoleChannel } from './channels/console.js';
import { createDispatcher } from './dispatcher.js';
import { renderAlert } from './format.js';
import { DEFAULT_ALERT_WINDOWS } from '../incidents/incident-flow.js';

export interface Alerting {
  /**
   * queues the alert for every channel of its severity; resolves once it is durable in
   * the outbox (or, when it cannot be, printed); never rejects
   */
  send(incident: Incident, actionsTaken: string[]): Promise<void>;
  /** delivers what is queued, at most `timeoutMs` */
  drain(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

export const toAlertMessage = (incident: Incident, actionsTaken: string[], host: string, ts: number): AlertMessage => {
  const { title, text } = renderAlert(incident, { host, actionsTaken, stormWindowMs: DEFAULT_ALERT_WINDOWS[incident.severity] });
  return {
    id: randomUUID(),
    severity: incident.severity,
    status: incident.status,
    host,
    title,
    text,
    actionsTaken,
    incident,
    ts,
  };
};

export interface AlertingDeps {
  db: Db;
  logger: Logger;
  host: string;
  /** the pipeline's clock (default asyncScheduler) */
  scheduler?: SchedulerLike;
  /**
   * The channel for a routing key (and `console`, for a severity nobody routed); default
   * the configured channels. A rule test records at this boundary instead of delivering.
   */
  channelFor?: (key: string) => AlertChannel;
}

export const createAlerting = async (config: Config, deps: AlertingDeps): Promise<Alerting> => {
  const scheduler = deps.scheduler ?? asyncScheduler;
  const routes = buildRouting(config.alerts, config.integrations);
  const channels = new Map<string, AlertChannel>();
  for (const { key, route, place } of routes.all) {
    channels.set(key, deps.channelFor?.(key) ?? createChannel(route, config.integrations, { logger: deps.logger, place, now: () => scheduler.now() }));
  }
  const dispatcher = await createDispatcher({ db: deps.db, channels, routes, logger: deps.logger, scheduler });
  // For a severity nobody routed: the console, so the alert is seen rather than lost.
  const unrouted = deps.channelFor?.('console') ?? createConsoleChannel({});
  const pending = new Set<Promise<unknown>>();
  const track = (p: Promise<void>): Promise<void> => {
    pending.add(p);
    void p.finally(() => pending.delete(p));
    return p;
  };

  return {
    send: (incident, actionsTaken) => {
      const message = toAlertMessage(incident, actionsTaken, deps.host, scheduler.now());
      if (routesFor(routes, incident.severity as Severity).length === 0) {
        return track(unrouted.send(message).catch(() => void process.stderr.write(`[PANICMODE ALERT] ${message.title}\n`)));
      }
      return track(
        dispatcher.enqueue(message).catch((err) => {
          deps.logger.error('outbox write failed; alert printed instead', { error: (err as Error).message });
          process.stderr.write(`[PANICMODE ALERT NOT QUEUED] ${message.title}\n${message.text}\n`);
        }),
      );
    },
    drain: async (timeoutMs) => {
      await Promise.allSettled([...pending]);
      const r = await dispatcher.drain(timeoutMs);
      if (!r.complete) deps.logger.warn(`shutdown: ${r.left} alert deliveries left in the outbox for the next start`);
    },
    close: async () => {
      await dispatcher.stop();
      await Promise.allSettled([...channels.values()].map((c) => c.close?.()));
    },
  };
};
