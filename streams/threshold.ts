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
 * The threshold test, as the predicate the other operators take (`sustainedFor`'s
 * `isHeld`, `hysteresis`'s `isFiring`): a rule is `sustainedFor(d, { isHeld: breaches(t) })`
 * → `hysteresis`. A `map(breaches(...))` operator of its own would lose the subject the
 * value belongs to, so there is none. NaN never breaches: an unreadable metric is
 * "no data", not an alarm.
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
