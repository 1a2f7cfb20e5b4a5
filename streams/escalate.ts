import { asyncScheduler, map, defer, type MonoTypeOperatorFunction, type SchedulerLike } from 'rxjs';

export interface EscalateOptions<T> {
  /** the `after`-th occurrence of a key, and every later one, is raised (`after: 3` → 3rd on) */
  after: number;
  keyOf: (value: T) => string;
  /** returns the raised item, e.g. `(i) => ({ ...i, severity: raiseSeverity(i.severity) })` */
  raise: (value: T) => T;
  /** also raise once the key has kept occurring for this long since its first occurrence */
  persistMs?: number;
  /** a key not seen for this long starts over (default 1 h); also bounds memory */
  resetAfterMs?: number;
  /** items for which this is true pass unchanged and make their key start over (e.g. `resolved`) */
  resetWhen?: (value: T) => boolean;
  /** default `asyncScheduler`; its clock measures `persistMs` and `resetAfterMs` */
  scheduler?: SchedulerLike;
}

/**
 * Raises an incident that keeps coming back: per key, occurrences are counted, and
 * from the `after`-th one on (or, with `persistMs`, once the key has been occurring
 * that long) each item goes through `raise` — warning → critical. A `resetWhen`
 * item (a `resolved`) or a silence of `resetAfterMs` ends the episode.
 *
 * ```
 * source:  w 5m w 5m w 5m r 1m w|       escalate({ after: 3, raise: toCritical, resetWhen: isResolved })
 * result:  w 5m w 5m C 5m r 1m w|       third repeat raised; the resolve starts the key over
 * ```
 *
 * Derived from `map` over per-key state (`scan` with an output per item).
 *
 * Place it after dedup, so "occurrence" means "still firing at the next reminder",
 * not "one more tick". No timers: state is pruned by time on each item, ordered by
 * last sighting, so memory holds only keys seen within `resetAfterMs`. A throwing
 * `keyOf`, `raise` or `resetWhen` errors the stream.
 *
 * @example
 * incidents$.pipe(escalate({ after: 3, keyOf: (i) => i.key,
 *   raise: (i) => ({ ...i, severity: raiseSeverity(i.severity) }),
 *   resetWhen: (i) => i.status === 'resolved' }))
 */
export const escalate =
  <T>(opts: EscalateOptions<T>): MonoTypeOperatorFunction<T> =>
  (source) =>
    defer(() => {
      const { after, keyOf, raise, persistMs, resetWhen } = opts;
      const resetAfterMs = opts.resetAfterMs ?? 3_600_000;
      const scheduler = opts.scheduler ?? asyncScheduler;
      // insertion order == order of last sighting: the stalest keys are at the front
      const episodes = new Map<string, { count: number; first: number; last: number }>();

      return source.pipe(
        map((value) => {
          const now = scheduler.now();
          for (const [key, e] of episodes) {
            if (now - e.last < resetAfterMs) break;
            episodes.delete(key);
          }
          const key = keyOf(value);
          if (resetWhen?.(value)) {
            episodes.delete(key);
            return value;
          }
          const e = episodes.get(key) ?? { count: 0, first: now, last: now };
          e.count++;
          e.last = now;
          episodes.delete(key);
          episodes.set(key, e);
          const repeated = e.count >= after;
          const persisted = persistMs !== undefined && now - e.first >= persistMs;
          return repeated || persisted ? raise(value) : value;
        }),
      );
    });
