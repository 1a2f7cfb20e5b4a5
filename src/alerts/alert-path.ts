/**
 * The alert path from the incident handler to the outbox:
 *
 *   handler takes an incident ── owe (alert_owed)
 *        … protective actions …
 *   alerts$ ── alertRateLimit ── alerting.send (outbox) ── settle
 *
 * An alert is owed durably from the moment its incident is taken up (before any action,
 * so a kill -9 during a ban still leaves it owed) until the message standing for it
 * (itself, or a storm summary) is in the outbox; at start, what a previous run left
 * owed is sent first as one summary per key. Completing `alerts$` (stop, reload) makes
 * the rate limit flush the summaries its windows still hold.
 */
import { asyncScheduler, tap, type Observable, type SchedulerLike } from 'rxjs';
import type { Db } from '../storage/schema.js';
import type { Logger } from '../log/logger.js';
import type { Alerting } from './alerting.js';
import type { Incident } from '../model/incident.js';
import { alertRateLimit, alertStormKey, type PendingAlert, type RateLimitedAlert } from '../incidents/incident-flow.js';
import { createOwedAlerts, loadOwedAlerts, owedSummary } from './owed-alerts.js';

export interface AlertPath {
  /** an alert is owed for this incident from now on: call as it is taken up, before its actions */
  owe(incident: Incident): void;
  /** resolves when every alert sent so far is counted off (call after alerts$ completed and alerting drained) */
  settled(): Promise<void>;
}

export const startAlertPath = async (
  alerts$: Observable<PendingAlert>,
  deps: { db: Db; alerting: Pick<Alerting, 'send'>; logger: Logger; /** default asyncScheduler: the windows' timers and the rows' clock */ scheduler?: SchedulerLike },
): Promise<AlertPath> => {
  const scheduler = deps.scheduler ?? asyncScheduler;
  const owed = createOwedAlerts(deps.db, deps.logger);
  const send = (a: RateLimitedAlert) => void deps.alerting.send(a.incident, a.actionsTaken).then(() => owed.settle(alertStormKey(a), a.items));

  const before = await loadOwedAlerts(deps.db);
  if (before.unreadable) deps.logger.error('owed alerts with an unreadable body dropped', { rows: before.unreadable });
  if (before.owed.length) deps.logger.info('alerts owed from before the last stop: sending their summaries', { summaries: before.owed.length });
  for (const o of before.owed) send(owedSummary(o));

  // The alert, now with what was done, becomes the body a summary after a crash would carry.
  alerts$.pipe(tap((a) => owed.describe(alertStormKey(a), a)), alertRateLimit(undefined, scheduler)).subscribe(send);
  return {
    owe: (incident) => {
      const alert = { incident, actionsTaken: [] };
      owed.owe(alertStormKey(alert), alert, scheduler.now());
    },
    settled: () => owed.settled(),
  };
};
