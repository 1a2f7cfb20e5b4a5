import { asyncScheduler, Observable, type OperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';

/** An item let through, with how many items of its key and severity were held back before it. */
export interface RateLimited<T> {
  value: T;
  /** items suppressed since the previous one let through for this key and severity */
  suppressed: number;
}

export interface RateLimitOptions<T, S extends string> {
  /** window per severity, e.g. `{ critical: 60_000, warning: 300_000, info: 900_000 }`; 0 = no limit */
  windowMsBySeverity: Record<S, number>;
  keyOf: (value: T) => string;
  severityOf: (value: T) => S;
  /**
   * Also emit at the end of a window that suppressed something: the latest suppressed
   * item, carrying the count of the others, and that opens a new window (throttle with
   * trailing). Default false: counts wait for the next item of the key.
   */
  trailing?: boolean;
  /** default `asyncScheduler` */
  scheduler?: SchedulerLike;
}

/**
 * At most one item per key per severity window; the rest are counted, not lost. The
 * first item of a key opens a window of its severity's length; items of the same key
 * and severity inside it are suppressed, and the next item let through carries
 * `suppressed: n` — a storm becomes one message with a count. A key that changes
 * severity (escalation) is limited separately, so a raised incident is never held
 * back by its own warnings. Output is `{ value, suppressed }`; map it onto your type
 * (e.g. `count: 1 + suppressed`).
 *
 * ```
 * source:  a a a 1m a 1m a|          critical window 1m, one key
 * result:  A - - 1m B 1m C|          A{0}, B{suppressed: 2}, C{0}
 * trailing: A - - 1m (T)… — at 1m the latest suppressed a comes out with suppressed: 1
 * trailing, source a a a|  →  A - - (T|) — completion flushes what the window held
 * ```
 *
 * Hand-written rather than `groupBy` + `throttleTime({ trailing: true })`: throttle
 * drops what it holds back, where this counts it into the next item (`suppressed`), and
 * a group per key per severity would stay subscribed for keys long quiet.
 *
 * Memory: a key whose window has ended with nothing suppressed is forgotten (swept
 * as the map grows). Without `trailing`, a key with a pending count is kept until that
 * key appears again, so its count is never lost; use `trailing` for high-cardinality
 * keys (per-IP) to bound memory by the keys active within a window.
 *
 * A severity without a window, or a throwing `keyOf`/`severityOf`, errors the stream.
 * With `trailing`, completion emits every window's pending count at once (a shutdown
 * flushes its storm summaries) and then completes; unsubscribing cancels the timers
 * and emits nothing.
 *
 * @example
 * incidents$.pipe(
 *   rateLimit({ windowMsBySeverity: { critical: 60_000, warning: 300_000, info: 900_000 },
 *               keyOf: (i) => i.key, severityOf: (i) => i.severity }),
 *   map(({ value, suppressed }) => ({ ...value, count: value.count + suppressed })),
 * )
 */
export function rateLimit<T, S extends string>(opts: RateLimitOptions<T, S>): OperatorFunction<T, RateLimited<T>> {
  const { windowMsBySeverity, keyOf, severityOf } = opts;
  const trailing = opts.trailing ?? false;
  const scheduler = opts.scheduler ?? asyncScheduler;

  return (source) =>
    new Observable<RateLimited<T>>((subscriber) => {
      interface WindowState {
        until: number;
        suppressed: number;
        latest: T | undefined;
        timer: Subscription | null;
      }
      const windows = new Map<string, WindowState>();
      let sweepAt = 1024;

      const sweep = (now: number) => {
        for (const [id, w] of windows) if (now >= w.until && w.suppressed === 0 && !w.timer) windows.delete(id);
        sweepAt = Math.max(1024, windows.size * 2);
      };

      const open = (id: string, windowMs: number, now: number) => {
        const w: WindowState = { until: now + windowMs, suppressed: 0, latest: undefined, timer: null };
        windows.set(id, w);
        if (trailing && windowMs > 0) w.timer = scheduler.schedule(() => close(id, windowMs), windowMs);
      };

      const close = (id: string, windowMs: number) => {
        const w = windows.get(id)!;
        w.timer = null;
        if (w.suppressed === 0) {
          windows.delete(id);
          return;
        }
        const out = { value: w.latest as T, suppressed: w.suppressed - 1 };
        open(id, windowMs, scheduler.now());
        subscriber.next(out);
      };

      const upstream = source.subscribe({
        next: (value) => {
          let out: RateLimited<T> | null = null;
          try {
            const now = scheduler.now();
            const severity = severityOf(value);
            const windowMs = windowMsBySeverity[severity];
            if (typeof windowMs !== 'number') throw new Error(`rateLimit: no window configured for severity "${severity}"`);
            const id = `${severity}\u0000${keyOf(value)}`;
            const w = windows.get(id);
            if (w && now < w.until) {
              w.suppressed++;
              w.latest = value;
            } else {
              out = { value, suppressed: w?.suppressed ?? 0 };
              w?.timer?.unsubscribe();
              windows.delete(id); // re-insert at the end
              open(id, windowMs, now);
              if (windows.size >= sweepAt) sweep(now);
            }
          } catch (err) {
            subscriber.error(err);
            return;
          }
          if (out) subscriber.next(out);
        },
        error: (err) => subscriber.error(err),
        complete: () => {
          // With trailing, what a window still holds comes out now rather than being lost.
          if (trailing) {
            for (const w of [...windows.values()]) {
              w.timer?.unsubscribe();
              if (w.suppressed > 0) subscriber.next({ value: w.latest as T, suppressed: w.suppressed - 1 });
            }
            windows.clear();
          }
          subscriber.complete();
        },
      });

      return () => {
        upstream.unsubscribe();
        for (const w of windows.values()) w.timer?.unsubscribe();
        windows.clear();
      };
    });
}
