import { map, type OperatorFunction } from 'rxjs';
import { keyedHistory } from './keyedHistory.js';

/** A key's value beside its own recent average. */
export interface Spike<T> {
  key: string;
  value: T;
  /** the mean of the key's samples before this one; null until `minHistory` of them are known */
  average: number | null;
  /** the value is above `multiplier` × that average */
  spiking: boolean;
}

export interface SpikeOptions<T> {
  /** samples kept per key, this one included (the moving average is over the others) */
  samples: number;
  /** how many times its own average a value must reach */
  multiplier: number;
  /** samples before this one needed for an average (default 2) */
  minHistory?: number;
  keyOf: (value: T) => string;
  valueOf: (value: T) => number;
}

/**
 * Per tick, whether each key's value jumped above `multiplier` × the moving average
 * of its own previous samples: a process that idles at 10 % and suddenly burns 90 %
 * is a spike, a database always at 150 % is not. The floor (a spike must also be high
 * in absolute terms) is the rule's threshold, not this operator's. Derived from
 * `keyedHistory`; `minHistory` keeps a newcomer from spiking against one sample.
 *
 * ```
 * source:  [a10] [a10] [a90]   [a90]     samples: 4, multiplier: 3
 * result:  [-]   [-]   [S:10]  [-:36.7]  90 > 3 × 10; then its average has caught up
 * ```
 */
export const spike = <T>(options: SpikeOptions<T>): OperatorFunction<readonly T[], Spike<T>[]> => (source) => {
  const minHistory = Math.max(1, options.minHistory ?? 2);
  return source.pipe(
    keyedHistory({ size: Math.max(options.samples, minHistory + 1), keyOf: options.keyOf, timeOf: () => 0 }),
    map((histories) =>
      histories.map(({ key, value, samples }) => {
        const current = options.valueOf(value);
        const before = samples.length - 1;
        let sum = 0;
        for (let i = 0; i < before; i++) sum += options.valueOf(samples[i]!.value);
        const average = before >= minHistory ? sum / before : null;
        return { key, value, average, spiking: average !== null && current > options.multiplier * average };
      }),
    ),
  );
};
