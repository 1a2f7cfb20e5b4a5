import { asyncScheduler, Observable, type MonoTypeOperatorFunction, type SchedulerLike } from 'rxjs';

/** The incident dedup window PanicMode has always used: 5 minutes. */
export const DEFAULT_DEDUP_WINDOW_MS = 300_000;

export interface DedupOptions<T = unknown> {
  /** default `asyncScheduler`; its clock stamps the records */
  scheduler?: SchedulerLike;
  /**
   * State from before a restart: key → when it was last let through (the scheduler's
   * clock, i.e. unix ms in production). Entries already outside the window are ignored;
   * a timestamp in the future (the clock went back) is read as "now".
   */
  initial?: Iterable<readonly [string, number]>;
  /** Called when an item's key is recorded (let through, or later confirmed): persist `key → ts` here. */
  onRecord?: (key: string, ts: number) => void;
  /**
   * For items whose record must wait until something was done about them (an incident
   * whose ban must happen before its repeats may be dropped): return the item to emit
   * in its place, which carries `confirm`; undefined records at once as usual. Until
   * `confirm()` is called the key is not recorded, so repeats go through; `confirm`
   * records it at the scheduler's time of the call.
   */
  deferRecord?: (value: T, confirm: () => void) => T | undefined;
  /** Called with each item dropped as a repeat. */
  onDrop?: (value: T) => void;
}

/**
 * Drops an item whose key was let through less than `windowMs` ago; the first of a
 * key, and the first after the window has passed (exactly `windowMs` later counts as
 * passed), go through. The window runs from the last item let through, not the last
 * seen, so an incident that keeps firing is repeated once per window — a reminder,
 * not a storm.
 *
 * ```
 * source:  a 1m a 1m b 2m a 1m a|        dedup(5m, (x) => x)
 * result:  a 1m - 1m b 2m - 1m a|        (a at 0; the a at 4m is dropped; the a at 5m passes)
 * ```
 *
 * Restart survival: `onRecord(key, ts)` reports each record so the caller can store it
 * (the `dedup_state` table), and `initial` feeds it back at start. Memory holds only
 * keys let through within the window: records are kept in time order and expired ones
 * are pruned on every item (no timers). A throwing `keyOf`, `onRecord`, `deferRecord`
 * or `onDrop` errors the stream.
 *
 * Hand-written rather than a per-key `throttleTime` (groupBy + throttle): a group and a
 * timer per key would hold 10,000 attacker addresses for their whole window, while one
 * time-ordered map pruned on arrival holds only the records and needs no timer; and the
 * record must be restorable (`initial`) and deferrable (`deferRecord`), which
 * `throttle` has no place for.
 *
 * Deferred records (`deferRecord`): an item let through but not yet confirmed does not
 * suppress its repeats — dedup never hides a repeat of something that was not done.
 *
 * ```
 * source:  a 1m a 1m a|                   dedup(5m, k, { deferRecord }) — confirm() at 90s
 * result:  a 1m a 1m -|                   (the a at 1m passes: the first was not confirmed yet)
 * ```
 * Include the status in `keyOf` if `resolved` items must not be swallowed by `firing` ones.
 *
 * @example
 * incidents$.pipe(dedup(DEFAULT_DEDUP_WINDOW_MS, (i) => `${i.key}|${i.status}`, {
 *   initial: await loadDedupState(db),
 *   onRecord: (key, ts) => saveDedupState(db, key, ts),
 * }))
 */
export function dedup<T>(windowMs: number | undefined, keyOf: (value: T) => string, opts: DedupOptions<T> = {}): MonoTypeOperatorFunction<T> {
  const window = windowMs ?? DEFAULT_DEDUP_WINDOW_MS;
  const scheduler = opts.scheduler ?? asyncScheduler;
  const { onRecord, deferRecord, onDrop } = opts;

  return (source) =>
    new Observable<T>((subscriber) => {
      // insertion order == time order, so the oldest records are always at the front
      const seen = new Map<string, number>();
      const start = scheduler.now();
      const restored = [...(opts.initial ?? [])]
        .map(([key, ts]) => [key, Math.min(ts, start)] as const)
        .filter(([, ts]) => start - ts < window)
        .sort((a, b) => a[1] - b[1]);
      for (const [key, ts] of restored) {
        seen.delete(key);
        seen.set(key, ts);
      }

      const prune = (now: number) => {
        for (const [key, ts] of seen) {
          if (now - ts < window) break;
          seen.delete(key);
        }
      };

      const record = (key: string) => {
        const now = scheduler.now();
        seen.delete(key); // re-inserted at the end: the map stays in time order
        seen.set(key, now);
        onRecord?.(key, now);
      };

      return source.subscribe({
        next: (value) => {
          let out = value;
          try {
            prune(scheduler.now());
            const key = keyOf(value);
            if (seen.has(key)) {
              onDrop?.(value);
              return;
            }
            const deferred = deferRecord?.(value, () => {
              try {
                record(key);
              } catch (err) {
                subscriber.error(err);
              }
            });
            if (deferred === undefined) record(key);
            else out = deferred;
          } catch (err) {
            subscriber.error(err);
            return;
          }
          subscriber.next(out);
        },
        error: (err) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });
    });
}
