import { filter, map, scan, type OperatorFunction, type SchedulerLike } from 'rxjs';
import { growthRate } from './growthRate.js';
import { breaches } from './threshold.js';

/** A gauge that rose too fast, in every one of the last intervals. */
export interface RiseExceeded {
  /** the reading that completed the run */
  value: number;
  /** per second, over the last interval */
  ratePerSec: number;
}

export interface RiseRateExceedsOptions {
  /** consecutive intervals that must each rise faster than the limit (default 2) */
  intervals?: number;
  /** default `asyncScheduler` (only read for `now()`: the operator sets no timer) */
  scheduler?: SchedulerLike;
}

/**
 * Fires when a sampled gauge rises faster than `limitPerSec` between consecutive
 * readings, in each of the last `intervals` intervals: the rate is judged on the
 * scheduler's time between arrivals. Made for the fork-bomb trigger (the host's task
 * count read every 100 ms): one burst (a build starting 64 jobs, a pool starting its
 * workers) rises once and stops; a fork bomb keeps rising. While the rise goes on it
 * fires on every reading; a reading that rises slower (or falls, or is NaN: no data)
 * starts the run afresh.
 *
 * ```
 * source:  a 99ms b 99ms c 99ms d 99ms e|    riseRateExceeds(100, { intervals: 2 })
 *          0       50      100     100  120  (readings, 100 ms apart)
 * result:  - 99ms - 99ms R 99ms - 99ms -|    50 then 50 in 100 ms (500/s twice): fires on c;
 *                                            d did not rise, e rose 200/s but only once
 * ```
 *
 * Derived from `growthRate` over one unkeyed count, with a run counter. Not a general
 * slope: two readings at a time, no smoothing, because a fork bomb must
 * be caught within a few hundred milliseconds; trends over many samples (a memory
 * leak) belong to an operator that fits a slope.
 *
 * @example
 * taskCount$.pipe(riseRateExceeds(200, { scheduler }))  // → scan the process table
 */
export function riseRateExceeds(limitPerSec: number, opts: RiseRateExceedsOptions = {}): OperatorFunction<number, RiseExceeded> {
  const intervals = opts.intervals ?? 2;
  const tooFast = breaches({ limit: limitPerSec });
  return (source) =>
    source.pipe(
      map((value) => [value]),
      growthRate({ keyOf: () => '', countOf: (v: number) => v, scheduler: opts.scheduler }),
      // a reading without a rate (the first, NaN, no time elapsed) or a slower one ends the run
      scan((run, [g]) => ({ value: g!.count, ratePerSec: g!.perSecond ?? NaN, n: tooFast(g!.perSecond ?? NaN) ? run.n + 1 : 0 }), { value: 0, ratePerSec: 0, n: 0 }),
      filter((run) => run.n >= intervals),
      map(({ value, ratePerSec }) => ({ value, ratePerSec })),
    );
}
