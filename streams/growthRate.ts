import { map, type OperatorFunction, type SchedulerLike } from 'rxjs';
import { keyedHistory } from './keyedHistory.js';

/** A key's count and how fast it grew since the tick before. */
export interface Growth<T> {
  key: string;
  value: T;
  count: number;
  /** (count − previous count) / seconds between the two ticks; null on a key's first tick or when no time passed */
  perSecond: number | null;
}

export interface GrowthRateOptions<T> {
  /** which count a value is (the host's processes: `''`; one tree: its root pid) */
  keyOf: (value: T) => string;
  /** the count itself */
  countOf: (value: T) => number;
  /** when it was counted; default the scheduler's now() */
  timeOf?: (value: T) => number;
  /** default `asyncScheduler` (only read for `now()`) */
  scheduler?: SchedulerLike;
}

/**
 * Per tick, how fast each keyed count grows, per second, between this tick and the one
 * before: a fork bomb is a count (the host's processes, one tree's descendants) growing
 * faster than any workload starts processes. Negative when it shrinks. A key new in
 * this tick is a baseline (perSecond null): a tree first listed now has no honest rate.
 * Derived from `keyedHistory` with two samples per key.
 *
 * ```
 * source:  [''10] 1s [''10] 1s [''70] 1s [''40]     keyOf: () => '', countOf: n
 * result:  [null] 1s [0]    1s [60]    1s [-30]     per second
 * ```
 *
 * Given one count per tick from a fast sampler, it is the rate a fork-bomb defence can
 * compare with its limit; given the process table's trees and count per read, it is
 * the `process_growth` rule's measure.
 */
export const growthRate = <T>(options: GrowthRateOptions<T>): OperatorFunction<readonly T[], Growth<T>[]> => (source) =>
  source.pipe(
    keyedHistory({ size: 2, keyOf: options.keyOf, timeOf: options.timeOf, scheduler: options.scheduler }),
    map((histories) =>
      histories.map(({ key, value, samples }) => {
        const count = options.countOf(value);
        const before = samples.length === 2 ? samples[0]! : null;
        const seconds = before ? (samples[1]!.at - before.at) / 1000 : 0;
        return { key, value, count, perSecond: before && seconds > 0 ? (count - options.countOf(before.value)) / seconds : null };
      }),
    ),
  );
