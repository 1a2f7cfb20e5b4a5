import { asyncScheduler, Observable, Subscription, type MonoTypeOperatorFunction, type SchedulerLike } from 'rxjs';

export interface SustainedForOptions {
  /** default `asyncScheduler` */
  scheduler?: SchedulerLike;
  /**
   * Longest silence after a `true` that still counts as "still true". When no value
   * arrives for this long, the condition is treated as dropped (a stalled collector
   * must not keep an alarm alive, nor complete a duration, on a stale reading).
   * Default: no limit — the last value holds until the next one.
   */
  maxGapMs?: number;
}

/**
 * Over a boolean condition stream, emits `true` once the condition has held
 * continuously for `durationMs` (the config's `duration`), and `false` once when it
 * drops after that. It emits state changes only: repeated `true`s while held emit
 * nothing, and a `false` that ends a not-yet-sustained run emits nothing (the
 * output never said `true`). With `durationMs` 0 a `true` passes at once, so the
 * output is the input without repeats (starting from an implied `false`).
 *
 * ```
 * source:  t 4s t 4s t 4s t 4s f 4s t 4s f|      sustainedFor(10s)
 * result:  10s T  6003ms    F  8002ms      |      T at 10 s (held since 0), F at 16 s;
 *                                                 the run from 20 s to 24 s is too short
 * ```
 *
 * Gaps: the timer runs on the scheduler, not on arriving values. A `true` followed by
 * silence is presumed to still hold (sample-and-hold): the output turns `true` at
 * `first true + durationMs` even if no value arrived meanwhile. Pass `maxGapMs` to
 * treat a silence that long as a drop instead. A `false` arriving at the very instant
 * the duration completes is not a sustained run (the run must end strictly later).
 *
 * Completion: a pending (not yet sustained) run is discarded and the output completes;
 * errors pass through. Unsubscribing cancels the timers.
 *
 * @example
 * cpu$.pipe(threshold({ limit: 90 }), sustainedFor(60_000))   // true after 1 min above 90
 * cpu$.pipe(threshold({ limit: 90 }), sustainedFor(60_000, { maxGapMs: 15_000 }))
 */
export function sustainedFor(
  durationMs: number,
  schedulerOrOptions: SchedulerLike | SustainedForOptions = {},
): MonoTypeOperatorFunction<boolean> {
  const opts: SustainedForOptions = isScheduler(schedulerOrOptions) ? { scheduler: schedulerOrOptions } : schedulerOrOptions;
  const scheduler = opts.scheduler ?? asyncScheduler;
  const { maxGapMs } = opts;

  return (source) =>
    new Observable<boolean>((subscriber) => {
      let saidTrue = false;
      let pending: Subscription | null = null;
      let gap: Subscription | null = null;

      const cancel = (s: Subscription | null): null => {
        s?.unsubscribe();
        return null;
      };
      const fire = () => {
        pending = null;
        saidTrue = true;
        subscriber.next(true);
      };
      const drop = () => {
        pending = cancel(pending);
        gap = cancel(gap);
        if (saidTrue) {
          saidTrue = false;
          subscriber.next(false);
        }
      };

      const upstream = source.subscribe({
        next: (held) => {
          if (!held) return drop();
          if (maxGapMs !== undefined) {
            cancel(gap);
            gap = scheduler.schedule(() => {
              gap = null;
              drop();
            }, maxGapMs);
          }
          if (saidTrue || pending) return;
          if (durationMs <= 0) fire();
          else pending = scheduler.schedule(fire, durationMs);
        },
        error: (err) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });

      return () => {
        upstream.unsubscribe();
        cancel(pending);
        cancel(gap);
      };
    });
}

const isScheduler = (x: SchedulerLike | SustainedForOptions): x is SchedulerLike =>
  typeof (x as SchedulerLike).schedule === 'function';
