/**
 * The operators between detection and the sinks, in the order DESIGN.md draws them:
 *
 *   incidents$ ── dedup ── escalate ──► handler (record, protective actions)
 *                                          └─► alerts$ ── rateLimit ──► outbox
 *                                              (owed durably until in the outbox: alerts/owed-alerts.ts)
 *
 * Rules emit `firing` on every breached tick; dedup lets one through per window per
 * incident key (and `resolved` separately), so a persisting problem becomes a reminder
 * per window. Escalation counts those reminders.
 *
 * An incident with protective actions (`awaitsProtection`) is recorded by dedup — in
 * memory and in `dedup_state` — only once the handler reports its actions carried out
 * (`onHandled(true)`). Its repeats meanwhile wait for that outcome: dropped once the
 * actions are carried out, and the first of them let through when they were not, so a
 * ban that failed is tried again instead of being deduplicated away for the window,
 * while an attack that goes on during a slow ban (or a skipped one: a whitelisted
 * address) is still one incident. A repeat dropped by dedup reports `onHandled(true)`:
 * what it asks for was already done. A ban lost to a crash before it happened is read
 * again from the log at the next start (detect-brute-force.ts holds its lines).
 * Protective actions see every deduped incident — a rate limit must never keep an
 * attacker unblocked — while the alert path
 * is rate limited per rule and severity, a storm of one rule's incidents becoming one
 * message with a count.
 */
import { map, type MonoTypeOperatorFunction, type OperatorFunction, type SchedulerLike } from 'rxjs';
import { dedup } from '../../streams/dedup.js';
import { escalate } from '../../streams/escalate.js';
import { rateLimit } from '../../streams/rateLimit.js';
import { raiseSeverity, type Incident, type Severity } from '../model/incident.js';

export interface IncidentFlowOptions {
  dedupWindowMs: number;
  /** dedup state from before a restart */
  dedupInitial?: Iterable<readonly [string, number]>;
  onDedupRecord?: (key: string, ts: number) => void;
  /** incidents whose dedup record waits for their protective actions (default: none) */
  awaitsProtection?: (incident: Incident) => boolean;
  /** raise the severity at this many reminders in a row (the monitor's `escalate_after`, default 3) */
  escalateAfter?: number;
  scheduler?: SchedulerLike;
}

export const dedupKey = (i: Incident): string => `${i.key}|${i.status}`;

/** Applied to one rule's incidents, so each rule escalates after its own count. */
export const incidentFlow =
  (o: IncidentFlowOptions): MonoTypeOperatorFunction<Incident> =>
  (incidents$) =>
    incidents$.pipe(
      dedup(o.dedupWindowMs, dedupKey, {
        initial: o.dedupInitial,
        onRecord: o.onDedupRecord,
        scheduler: o.scheduler,
        deferRecord: (i, settle) =>
          o.awaitsProtection?.(i)
            ? {
                ...i,
                onHandled: (carriedOut: boolean) => {
                  try {
                    i.onHandled?.(carriedOut);
                  } finally {
                    settle(carriedOut); // then its repeats: dropped, or the next let through
                  }
                },
              }
            : undefined,
        onDrop: (i) => i.onHandled?.(true),
      }),
      escalate<Incident>({
        after: o.escalateAfter ?? 3,
        keyOf: (i) => i.key,
        raise: (i) =>
          i.severity === 'critical' || i.status === 'resolved'
            ? i
            : { ...i, severity: raiseSeverity(i.severity), description: `${i.description} (escalated: still firing)` },
        resetWhen: (i) => i.status === 'resolved',
        scheduler: o.scheduler,
      }),
    );

export interface PendingAlert {
  incident: Incident;
  actionsTaken: string[];
}

/** An alert let through by the rate limit, standing for `items` alerts (itself and those held back). */
export interface RateLimitedAlert extends PendingAlert {
  items: number;
}

export const DEFAULT_ALERT_WINDOWS: Record<Severity, number> = { critical: 60_000, warning: 300_000, info: 900_000 };

/** What the rate limit counts alerts by: rule, status and severity (a storm is one key). */
export const alertStormKey = (a: PendingAlert): string => `${a.incident.severity}|${a.incident.name}|${a.incident.status}`;

/**
 * Per rule and severity, at most one alert per window (critical 60 s, warning 300 s,
 * info 15 min by default); what is held back comes out at the end of the window, or
 * when the alert path completes (shutdown), as one alert whose `count` says how many
 * it stands for.
 */
export const alertRateLimit = (
  windows: Record<Severity, number> = DEFAULT_ALERT_WINDOWS,
  scheduler?: SchedulerLike,
): OperatorFunction<PendingAlert, RateLimitedAlert> => (alerts$) =>
  alerts$.pipe(
    rateLimit<PendingAlert, Severity>({
      windowMsBySeverity: windows,
      keyOf: alertStormKey,
      severityOf: (a) => a.incident.severity,
      trailing: true,
      scheduler,
    }),
    map(({ value, suppressed }) => ({
      ...value,
      incident: suppressed === 0 ? value.incident : { ...value.incident, count: value.incident.count + suppressed },
      items: 1 + suppressed,
    })),
  );
