import { asyncScheduler, map, type OperatorFunction, type SchedulerLike } from 'rxjs';
import { countExceeds } from './countExceeds.js';

/** A service restarted more than its budget allows within the window. */
export interface CrashLoop<T> {
  key: string;
  /** restarts within the window, the one that broke the budget included (maxRestarts + 1) */
  restarts: number;
  /** time of the oldest restart of the loop (ms) */
  since: number;
  /** the restart that broke the budget */
  value: T;
}

export interface CrashLoopOptions<T> {
  /** one budget per key (a service, or a service's episode); default one key, `''` */
  keyOf?: (restart: T) => string;
  /** when the restart happened (ms); default the scheduler's now() on arrival */
  timeOf?: (restart: T) => number;
  /** default `asyncScheduler` (only read for `now()` without `timeOf`: no timer is set) */
  scheduler?: SchedulerLike;
}

/**
 * Fires when a key restarts MORE than `maxRestarts` times within a sliding `windowMs`
 * (`max_restarts: 5, restart_window: 60s`: the 6th restart within a minute is a crash
 * loop), with how many and since when, and starts counting afresh — so a service that
 * is retried after its cooldown and crashes again loops again only after another
 * `maxRestarts + 1` restarts.
 *
 * ```
 * source:  r 10s r 10s r 10s r 1m r|    crashLoop(2, 30s)   (r: a restart)
 * result:  - 10s - 10s L 10s - 1m -|    L: 3 restarts since 0; the 4th starts afresh
 * ```
 *
 * Derived from `countExceeds` (the per-key sliding window, judged on each restart's own
 * time, so restarts read back from storage count as they happened). A throwing `keyOf`
 * or `timeOf` errors the stream.
 *
 * @example
 * restarts$.pipe(crashLoop(5, 60_000, { keyOf: (r) => r.service, timeOf: (r) => r.at }))  // → cooldown, alert_critical
 */
export function crashLoop<T>(maxRestarts: number, windowMs: number, opts: CrashLoopOptions<T> = {}): OperatorFunction<T, CrashLoop<T>> {
  const keyOf = opts.keyOf ?? (() => '');
  const scheduler = opts.scheduler ?? asyncScheduler;
  const timeOf = opts.timeOf ?? (() => scheduler.now());
  return (source) =>
    source.pipe(
      // each restart with its time, taken once: `since` is the time it was counted at
      map((value) => ({ value, at: timeOf(value) })),
      countExceeds(maxRestarts, windowMs, { keyOf: (r) => keyOf(r.value), timeOf: (r) => r.at }),
      map((loop) => ({ key: loop.key, restarts: loop.count, since: loop.events[0]!.at, value: loop.value.value })),
    );
}
