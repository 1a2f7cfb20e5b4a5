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
   * in its place, and call `settle` once with whether it was done; undefined records at
   * once as usual. `settle(true)` records the key at the scheduler's time of the call;
   * `settle(false)` records nothing. While an item is in flight (let through, not yet
   * settled) its repeats wait for the outcome (see below).
   */
  deferRecord?: (value: T, settle: (done: boolean) => void) => T | undefined;
  /** Called with each item dropped as a repeat. */
  onDrop?: (value: T) => void;
}

/** Most repeats that wait per key for an item in flight. */
export const MAX_PARKED = 100;

interface InFlight<T> {
  /** when it was let through */
  since: number;
  /** repeats that arrived meanwhile, oldest first */
  parked: T[];
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
 * Deferred records (`deferRecord`): dedup never hides a repeat of something that was
 * not done, nor lets a repeat overtake the item still being acted on. Repeats that
 * arrive while an item is in flight are parked, in order: when it settles done they are
 * dropped (reported through `onDrop`), when it settles not done the first of them is
 * let through in its place (in flight in turn, the rest still parked behind it).
 *
 * ```
 * source:  a 1m b 1m c|               dedup(5m, k, { deferRecord }): a, b, c of one key; a settles at 90s
 * done:    a 1m - 1m -|               b dropped at 90s, when a settled; c dropped at once
 * not:     a 89999ms b 30002ms |      b let through at 90s in a's place; c waits behind b
 * ```
 * An item in flight for a whole window without settling (its outcome lost) stops
 * holding its repeats: the next one passes, and the parked ones are dropped. At most
 * `MAX_PARKED` repeats wait per key; beyond that the oldest parked is dropped. The
 * source's completion ends the stream at once: repeats still parked are not emitted.
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

      // items let through and not yet settled, with the repeats waiting for their outcome
      const inFlight = new Map<string, InFlight<T>>();

      /** Lets `value` through: recorded at once, or in flight until its deferred record settles. */
      const letThrough = (key: string, value: T, parked: T[]) => {
        const entry: InFlight<T> = { since: scheduler.now(), parked };
        let settled = false;
        const deferred = deferRecord?.(value, (done) => {
          if (settled) return;
          settled = true;
          try {
            if (done) record(key);
            if (inFlight.get(key) !== entry) return; // outlived its window: no longer holds anything
            inFlight.delete(key);
            if (done) for (const p of entry.parked) onDrop?.(p);
            else if (entry.parked.length > 0 && !subscriber.closed) letThrough(key, entry.parked[0]!, entry.parked.slice(1));
          } catch (err) {
            subscriber.error(err);
          }
        });
        if (deferred === undefined) {
          record(key);
          for (const p of parked) onDrop?.(p);
          subscriber.next(value);
          return;
        }
        if (!settled) inFlight.set(key, entry); // before next: a synchronous settle must find it
        subscriber.next(deferred);
      };

      return source.subscribe({
        next: (value) => {
          try {
            const now = scheduler.now();
            prune(now);
            const key = keyOf(value);
            if (seen.has(key)) {
              onDrop?.(value);
              return;
            }
            const flying = inFlight.get(key);
            if (flying !== undefined && now - flying.since < window) {
              if (flying.parked.push(value) > MAX_PARKED) onDrop?.(flying.parked.shift()!);
              return;
            }
            if (flying !== undefined) {
              inFlight.delete(key);
              for (const p of flying.parked) onDrop?.(p);
            }
            letThrough(key, value, []);
          } catch (err) {
            subscriber.error(err);
          }
        },
        error: (err) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });
    });
}
