import { asyncScheduler, Observable, type OperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';

/** One event's view of its key's sliding window. */
export interface WindowCount<T> {
  key: string;
  /** events of this key in the window, this one included */
  count: number;
  /** the event that produced this count */
  value: T;
  /** the key's events in the window, oldest first (only with `keepEvents`; a copy) */
  events?: T[];
}

export interface CountInWindowOptions<T> {
  /** groups events (e.g. by source IP); default: one group, key `''` */
  keyOf?: (value: T) => string;
  /** default `asyncScheduler` */
  scheduler?: SchedulerLike;
  /** attach the key's events in the window to each emission (memory: the window's events) */
  keepEvents?: boolean;
  /** called when a key's last event leaves the window and the key is forgotten */
  onDrained?: (key: string) => void;
}

/**
 * Counts events per key over a sliding time window: after each event, emits how many
 * events of that key arrived within the last `windowMs` (this one included). An event
 * exactly `windowMs` old has left the window.
 *
 * ```
 * source:  a 9s a 9s b 9s a 39s a|            countInWindow(30s, { keyOf: (x) => x })
 * result:  1 9s 2 9s 1 9s 3 39s 1|            (a's events at 0, 9s, 27s; the last at 66s is alone)
 * ```
 *
 * Memory is bounded by the events inside the window: events are evicted by time (one
 * timer, armed for the oldest event's expiry, so eviction happens even when the source
 * falls silent), and a key whose events have all expired is dropped — 10,000 IPs seen
 * once cost nothing a window later. Events are kept in arrival order in one queue,
 * so eviction is O(1) per event.
 *
 * A throwing `keyOf` or `onDrained` errors the stream. Completion, error and
 * unsubscribe cancel the eviction timer.
 *
 * @example
 * authFailures$.pipe(countInWindow(60_000, { keyOf: (f) => f.ip }), filter((c) => c.count >= 5))
 */
export function countInWindow<T>(windowMs: number, opts: CountInWindowOptions<T> = {}): OperatorFunction<T, WindowCount<T>> {
  const keyOf = opts.keyOf ?? (() => '');
  const scheduler = opts.scheduler ?? asyncScheduler;
  const keepEvents = opts.keepEvents ?? false;
  const { onDrained } = opts;

  return (source) =>
    new Observable<WindowCount<T>>((subscriber) => {
      interface Entry {
        key: string;
        at: number;
        value: T;
      }
      interface KeyState {
        count: number;
        events: T[];
      }
      // one arrival-ordered queue for all keys; `head` avoids O(n) shifts
      let queue: (Entry | undefined)[] = [];
      let head = 0;
      const keys = new Map<string, KeyState>();
      let timer: Subscription | null = null;

      const evict = (now: number) => {
        while (head < queue.length) {
          const e = queue[head]!;
          if (now - e.at < windowMs) break;
          queue[head++] = undefined;
          const k = keys.get(e.key)!;
          k.count--;
          if (keepEvents) k.events.shift();
          if (k.count === 0) {
            keys.delete(e.key);
            onDrained?.(e.key);
          }
        }
        if (head === queue.length) {
          queue = [];
          head = 0;
        } else if (head > 1024 && head * 2 > queue.length) {
          queue = queue.slice(head);
          head = 0;
        }
      };

      const arm = () => {
        if (timer || head === queue.length) return;
        const delay = Math.max(0, queue[head]!.at + windowMs - scheduler.now());
        timer = scheduler.schedule(() => {
          timer = null;
          try {
            evict(scheduler.now());
          } catch (err) {
            subscriber.error(err);
            return;
          }
          arm();
        }, delay);
      };

      const upstream = source.subscribe({
        next: (value) => {
          let out: WindowCount<T>;
          try {
            const now = scheduler.now();
            evict(now);
            const key = keyOf(value);
            let k = keys.get(key);
            if (!k) {
              k = { count: 0, events: [] };
              keys.set(key, k);
            }
            k.count++;
            if (keepEvents) k.events.push(value);
            queue.push({ key, at: now, value });
            out = keepEvents ? { key, count: k.count, value, events: k.events.slice() } : { key, count: k.count, value };
          } catch (err) {
            subscriber.error(err);
            return;
          }
          arm();
          subscriber.next(out);
        },
        error: (err) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });

      return () => {
        upstream.unsubscribe();
        timer?.unsubscribe();
        timer = null;
      };
    });
}
