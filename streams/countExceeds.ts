import { defer, filter, map, type OperatorFunction, type SchedulerLike } from 'rxjs';
import { countInWindow } from './countInWindow.js';

/** A key that went over the threshold within the window. */
export interface CountExceeded<T> {
  key: string;
  /** events of the key in the window when it fired (threshold + 1) */
  count: number;
  /** the events that made it fire, oldest first */
  events: T[];
  /** the event that crossed the threshold */
  value: T;
}

export interface CountExceedsOptions<T> {
  /** groups events (e.g. by source IP); default: one group, key `''` */
  keyOf?: (value: T) => string;
  /** default `asyncScheduler` */
  scheduler?: SchedulerLike;
}

/**
 * Fires when a key has MORE than `threshold` events within a sliding `windowMs`
 * (`max_attempts: 5` → the 6th attempt in the window fires). It fires once per key
 * and re-arms only after that key's window has drained (all its events expired), so
 * a brute force that keeps going produces one emission, not one per attempt; the
 * repetition downstream (dedup, escalate) decides what to do about a long attack.
 *
 * ```
 * source:  a 1s a 1s a 1s a 10s 1m a 1s a 1s a|     countExceeds(2, 30s, { keyOf })
 * result:  - 1s - 1s E 1s - 10s 1m - 1s - 1s E|     fires on the 3rd; the 4th stays quiet;
 *                                                   after a drained window it fires again
 * ```
 *
 * Built on `countInWindow` (its `onDrained` re-arms the key), so it is memory bounded
 * the same way: state is only held for keys with events in the window.
 *
 * @example
 * authFailures$.pipe(countExceeds(5, 60_000, { keyOf: (f) => f.ip }))  // → block_ip
 */
export const countExceeds =
  <T>(threshold: number, windowMs: number, opts: CountExceedsOptions<T> = {}): OperatorFunction<T, CountExceeded<T>> =>
  (source) =>
    defer(() => {
      const fired = new Set<string>();
      return source.pipe(
        countInWindow(windowMs, { ...opts, keepEvents: true, onDrained: (key) => fired.delete(key) }),
        filter((c) => c.count > threshold && !fired.has(c.key)),
        map((c) => {
          fired.add(c.key);
          return { key: c.key, count: c.count, events: c.events!, value: c.value };
        }),
      );
    });
