/**
 * The metrics stream watched from outside: every periodic rule (CPU, memory, disk, the
 * self-check itself) hears of the host only through a snapshot per tick, so a tick that
 * never ends (a read that hangs past every timeout, a stream that completed or died)
 * blinds them all without any of them noticing. This raises a critical self-incident when
 * no snapshot has arrived for `staleMs`, again every `staleMs` while it lasts (dedup keeps
 * that to one alert per window, escalation counts it), and `resolved` at the next snapshot.
 *
 *   metrics:   a──b──c───────────────────────d──     staleMs = 3 ticks
 *   incidents: ───────────F────────F────────R──
 *
 * Time is the scheduler's, so the operator runs under TestScheduler.
 */
import { asyncScheduler, Observable, type OperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';
import type { Incident } from '../model/incident.js';
import type { Metrics } from '../model/metrics.js';

export interface MetricsStalledOptions {
  /** the tick period, ms */
  intervalMs: number;
  /** silence that counts as stalled (default 3 ticks, at least 10 s: a short interval on a loaded host is not a stall) */
  staleMs?: number;
  scheduler?: SchedulerLike;
}

export const METRICS_STALLED = 'self_check:metrics_stalled';

const incident = (status: Incident['status'], silentMs: number, staleMs: number, intervalMs: number, ts: number): Incident => {
  const description =
    status === 'firing'
      ? `no metrics snapshot for ${Math.round(silentMs / 1000)} s (one is due every ${intervalMs / 1000} s): ` +
        'CPU, memory, disk and self-check rules are blind; the agent log names the collector that hangs; restart PanicMode if it does not recover'
      : `metrics flow again after ${Math.round(silentMs / 1000)} s of silence`;
  return {
    key: `self|${METRICS_STALLED}`,
    name: 'self-check: PanicMode metrics stalled',
    severity: 'critical',
    description,
    actions: status === 'firing' ? ['alert_critical'] : [],
    metadata: { monitorType: METRICS_STALLED, threshold: staleMs / 1000, currentValue: silentMs / 1000, details: '' },
    ts,
    status,
    count: 1,
  };
};

/** Metrics in, stall incidents out (the snapshots themselves are not passed on). */
export const metricsStalled =
  (options: MetricsStalledOptions): OperatorFunction<Metrics, Incident> =>
  (source) =>
    new Observable<Incident>((subscriber) => {
      const scheduler = options.scheduler ?? asyncScheduler;
      const staleMs = options.staleMs ?? Math.max(3 * options.intervalMs, 10_000);
      let lastAt = scheduler.now();
      let stalled = false;
      let alarm: Subscription | undefined;
      const arm = () => {
        alarm?.unsubscribe();
        alarm = scheduler.schedule(() => {
          stalled = true;
          const now = scheduler.now();
          subscriber.next(incident('firing', now - lastAt, staleMs, options.intervalMs, now));
          arm(); // still silent after another staleMs: said again
        }, staleMs);
      };
      arm();
      const sub = source.subscribe({
        next: () => {
          const now = scheduler.now();
          if (stalled) subscriber.next(incident('resolved', now - lastAt, staleMs, options.intervalMs, now));
          stalled = false;
          lastAt = now;
          arm();
        },
        // A stream that ended or died is the stall itself: keep the alarm running.
        error: () => undefined,
        complete: () => undefined,
      });
      return () => {
        alarm?.unsubscribe();
        sub.unsubscribe();
      };
    });
