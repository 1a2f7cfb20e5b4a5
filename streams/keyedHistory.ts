import { asyncScheduler, map, scan, type OperatorFunction, type SchedulerLike } from 'rxjs';

/** One key's recent samples, oldest first; the last is this tick's. */
export interface History<T> {
  key: string;
  /** this tick's value of the key */
  value: T;
  /** at most `size` samples, oldest first, this tick's last */
  samples: { value: T; at: number }[];
}

export interface KeyedHistoryOptions<T> {
  /** how many samples each key keeps (this tick's included), at least 1 */
  size: number;
  /** which subject a value is about (a pid, a process tree) */
  keyOf: (value: T) => string;
  /** when the value was measured (a snapshot's own timestamp); default the scheduler's now() */
  timeOf?: (value: T) => number;
  /** default `asyncScheduler` (only read for `now()`: the operator sets no timer) */
  scheduler?: SchedulerLike;
}

/**
 * Per tick, the last `size` samples of every key present in that tick. Each source
 * value is one tick: the list of subjects measured then (the processes of one table
 * read). A key missing from a tick is forgotten — its process exited, its history
 * must not be joined to a later process that reuses the pid — and starts afresh if it
 * comes back. The general operator that `trend`, `spike` and `growthRate` are derived
 * from (a `scan` over the keys' histories).
 *
 * ```
 * source:  [a1 b5]   [a2]        [a3 b7]         size: 2, keyOf: letter
 * result:  [a:1 b:5] [a:1,2]     [a:2,3 b:7]     b missed a tick: starts again
 * ```
 *
 * State is a map of the keys present in the last tick (one table's worth of subjects):
 * nothing grows with time. A key given twice in one tick keeps its last value.
 */
export const keyedHistory = <T>(options: KeyedHistoryOptions<T>): OperatorFunction<readonly T[], History<T>[]> => {
  const size = Math.max(1, Math.floor(options.size));
  const scheduler = options.scheduler ?? asyncScheduler;
  const timeOf = options.timeOf ?? (() => scheduler.now());
  return (source) =>
    source.pipe(
      scan((before: ReadonlyMap<string, History<T>>, tick: readonly T[]) => {
        const now = new Map<string, History<T>>();
        for (const value of tick) {
          const key = options.keyOf(value);
          const sample = { value, at: timeOf(value) };
          const previous = now.get(key) ?? before.get(key);
          const kept = previous ? (now.has(key) ? previous.samples.slice(0, -1) : previous.samples) : [];
          now.set(key, { key, value, samples: [...kept.slice(Math.max(0, kept.length - (size - 1))), sample] });
        }
        return now;
      }, new Map<string, History<T>>()),
      map((histories) => [...histories.values()]),
    );
};
