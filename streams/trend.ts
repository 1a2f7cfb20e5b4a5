import { map, type OperatorFunction, type SchedulerLike } from 'rxjs';
import { keyedHistory } from './keyedHistory.js';

/** A key's value and where it has been heading over its last samples. */
export interface Trend<T> {
  key: string;
  value: T;
  /** `samples` samples are known, each above the one before */
  rising: boolean;
  /** (last − first) / seconds over the samples known; null with fewer than two */
  slopePerSec: number | null;
}

export interface TrendOptions<T> {
  /** how many samples make a trend (a memory leak: 5, each higher than the last) */
  samples: number;
  keyOf: (value: T) => string;
  /** the number that trends (a process's RSS) */
  valueOf: (value: T) => number;
  /** when it was measured; default the scheduler's now() */
  timeOf?: (value: T) => number;
  /** default `asyncScheduler` (only read for `now()`) */
  scheduler?: SchedulerLike;
}

/**
 * Per tick, whether each key's value has risen at every one of its last `samples`
 * samples, and its slope over them: a memory leak is an RSS that only goes up, at a
 * rate that matters (the rule compares the slope with its threshold, so slow honest
 * growth such as a warming cache is not a leak). A flat or falling step breaks the
 * rise; a key missing from a tick starts over. Derived from `keyedHistory`.
 *
 * ```
 * source:  [a1] 1s [a2] 1s [a3] 1s [a3] 1s [a5]    samples: 3, per second
 * result:  [-]  1s [-]  1s [R1] 1s [-]  1s [-]     R1: rising, 1/s; a flat step breaks it
 * ```
 */
export const trend = <T>(options: TrendOptions<T>): OperatorFunction<readonly T[], Trend<T>[]> => (source) =>
  source.pipe(
    keyedHistory({ size: options.samples, keyOf: options.keyOf, timeOf: options.timeOf, scheduler: options.scheduler }),
    map((histories) =>
      histories.map(({ key, value, samples }) => {
        const values = samples.map((s) => options.valueOf(s.value));
        let rising = samples.length >= options.samples && options.samples >= 2;
        for (let i = 1; rising && i < values.length; i++) if (!(values[i]! > values[i - 1]!)) rising = false;
        const seconds = (samples[samples.length - 1]!.at - samples[0]!.at) / 1000;
        return { key, value, rising, slopePerSec: samples.length >= 2 && seconds > 0 ? (values[values.length - 1]! - values[0]!) / seconds : null };
      }),
    ),
  );
