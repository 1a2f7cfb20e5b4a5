/**
 * The agent's alert path for rule tests, recorded at the channel boundary: the alert
 * path (alerts/alert-path.ts: alerts owed in SQLite, the rate limit and its storm
 * summaries) and alerting (alerts/alerting.ts: rendering, routing, the durable outbox
 * and its per-channel lanes) over an in-memory database, on the test's virtual clock —
 * with a recording channel in place of each configured one (and of the console that
 * takes a severity nobody routed). What a test sees as an alert is what a channel was
 * handed to send.
 *
 * It is asynchronous (the outbox is SQLite): drive it with flushSettling and `busy`,
 * which is true while an alert is on its way to one of its channels.
 */
import { Subject, type Observable, type SchedulerLike } from 'rxjs';
import type { Config } from '../config/schema.js';
import type { Incident } from '../model/incident.js';
import type { AlertChannel } from '../alerts/alert.js';
import type { PendingAlert } from '../incidents/incident-flow.js';
import { createAlerting } from '../alerts/alerting.js';
import { startAlertPath } from '../alerts/alert-path.js';
import { buildRouting, routesFor } from '../alerts/routing.js';
import { openDatabase } from '../storage/database.js';
import { memoryLogger } from '../log/logger.js';

/** One message as its channels received it. */
export interface RecordedAlert {
  at: number;
  name: string;
  status: 'firing' | 'resolved';
  severity: Incident['severity'];
  /** incidents the message stands for (a storm summary: more than one) */
  count: number;
  /** the channel keys it was handed to, in routing order (filled in as each lane delivers) */
  channels: string[];
  /** what the channels send: the title, then the text */
  message: string;
}

export interface RecordedAlertPath {
  /** an incident taken up by the handler: its alert is owed from now on */
  owe(incident: Incident): void;
  /** an alert after the incident's protective actions */
  alert(alert: PendingAlert): void;
  /** one per message, at its first delivery */
  alerts$: Observable<RecordedAlert>;
  busy(): boolean;
  close(): Promise<void>;
}

export const createRecordedAlertPath = async (config: Config, scheduler: SchedulerLike): Promise<RecordedAlertPath> => {
  const opened = await openDatabase(':memory:');
  const logger = memoryLogger();
  const routing = buildRouting(config.alerts, config.integrations);
  const order = [...routing.all.map((r) => r.key), 'console'];
  const alerts$ = new Subject<RecordedAlert>();
  const byMessage = new Map<string, RecordedAlert>();
  let owed = 0;
  let delivered = 0;

  const recording = (key: string): AlertChannel => ({
    name: key,
    send: async (message) => {
      delivered++;
      const seen = byMessage.get(message.id);
      if (seen) {
        seen.channels.push(key);
        seen.channels.sort((a, b) => order.indexOf(a) - order.indexOf(b));
        return;
      }
      const i = message.incident;
      const recorded: RecordedAlert = { at: scheduler.now(), name: i.name, status: i.status, severity: i.severity, count: i.count, channels: [key], message: `${message.title}\n${message.text}` };
      byMessage.set(message.id, recorded);
      alerts$.next(recorded);
    },
  });
  const alerting = await createAlerting(config, { db: opened.db, logger, host: 'rule-test', scheduler, channelFor: recording });
  const path$ = new Subject<PendingAlert>();
  const path = await startAlertPath(path$, {
    db: opened.db,
    logger,
    scheduler,
    alerting: {
      // each message is owed to every channel its severity routes to (the console when none)
      send: (incident, actionsTaken) => {
        owed += Math.max(1, routesFor(routing, incident.severity).length);
        return alerting.send(incident, actionsTaken);
      },
    },
  });
  return {
    owe: (incident) => path.owe(incident),
    alert: (a) => path$.next(a),
    alerts$,
    busy: () => delivered < owed,
    close: async () => {
      path$.complete();
      await alerting.drain(1000);
      await path.settled();
      await alerting.close();
      alerts$.complete();
      await opened.close();
    },
  };
};
