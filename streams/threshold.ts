import { map, type OperatorFunction } from 'rxjs';

/** Which side of the limit is a breach. */
export type Comparison = 'above' | 'below';

export interface ThresholdOptions {
  limit: number;
  /** default `'above'` */
  comparison?: Comparison;
  /** true: a value exactly at the limit breaches too (`>=` / `<=`); default false */
  inclusive?: boolean;
}

/**
 * The threshold test as a plain predicate, for code that evaluates outside a stream
 * (the rule evaluator steps snapshots by hand). NaN never breaches: an unreadable
 * metric is "no data", not an alarm.
 *
 * @example
 * breaches({ limit: 90 })(90)                    // false
 * breaches({ limit: 90, inclusive: true })(90)   // true
 * breaches({ limit: 10, comparison: 'below' })(5) // true
 */
export const breaches = (opts: ThresholdOptions): ((value: number) => boolean) => {
  const { limit } = opts;
  const below = (opts.comparison ?? 'above') === 'below';
  const inclusive = opts.inclusive ?? false;
  if (below) return inclusive ? (v) => v <= limit : (v) => v < limit;
  return inclusive ? (v) => v >= limit : (v) => v > limit;
};

/**
 * Maps each value to whether it breaches the limit.
 *
 * ```
 * source:  a(50) b(90) c(95) d(NaN) |      threshold({ limit: 90 })
 * result:  F     F     T     F      |
 *          (with inclusive: true, b is T)
 * ```
 *
 * @example
 * cpu$.pipe(threshold({ limit: 90 }), sustainedFor(60_000))
 * metrics$.pipe(threshold({ limit: 10, comparison: 'below' }, (m) => m.memory.availablePercent))
 */
export function threshold(opts: ThresholdOptions): OperatorFunction<number, boolean>;
/** With a selector: reads the number to compare out of each value (a throw errors the stream). */
export function threshold<T>(opts: ThresholdOptions, selector: (value: T) => number): OperatorFunction<T, boolean>;
export function threshold<T>(opts: ThresholdOptions, selector?: (value: T) => number): OperatorFunction<T, boolean> {
  const test = breaches(opts);
  const read = selector ?? ((v: T) => v as unknown as number);
  return map((v: T) => test(read(v)));
}
