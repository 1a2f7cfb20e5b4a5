import { asyncScheduler, Observable, type OperatorFunction, type SchedulerLike } from 'rxjs';

/** A key that went over the threshold within the window. */
export interface CountExceeded<T> {
  key: string;
  /** events of the key in the window when it fired (threshold + 1) */
  count: number;
  /** the events that made it fire, oldest first (by their time) */
  events: T[];
  /** the event that crossed the threshold */
  value: T;
}

export interface CountExceedsOptions<T> {
  /** groups events (e.g. by source IP); default: one group, key `''` */
  keyOf?: (value: T) => string;
  /** an event's own time (ms), e.g. its log line's timestamp; default the scheduler's now() on arrival */
  timeOf?: (value: T) => number;
  /** default `asyncScheduler` (only read for `now()`: the operator sets no timer) */
  scheduler?: SchedulerLike;
  /** most keys tracked at once (default 100,000) */
  maxKeys?: number;
}

/**
 * Fires when a key has MORE than `threshold` events within a sliding `windowMs`
 * (`max_attempts: 5` → the 6th attempt in the window fires), handing over that key's
 * events, and forgets them — like fail2ban clearing an address's failures when it bans
 * it: one burst fires once, and a key that keeps going fires again after
 * `threshold + 1` more events.
 *
 * ```
 * source:  a 1s a 1s a 1s a 1s a 1s a|    countExceeds(2, 30s, { keyOf })
 * result:  - 1s - 1s E 1s - 1s - 1s F|    fires on the 3rd; counting starts again: the 6th fires
 * ```
 *
 * Windows are judged on each event's own time (`timeOf`: a log line's timestamp), not on
 * when it arrives, so lines read again after a crash, or written while the reader was
 * down, are counted as they happened. An event exactly `windowMs` older than the key's
 * newest has left the window; a late event is placed where its time belongs; a clock
 * that went back by more than a window (a DST change in local-time syslog) starts the
 * key afresh.
 *
 * Written as a state machine (KeyedWindowCounter, below) rather than derived from RxJS
 * built-ins (`groupBy` + `windowTime`/`bufferTime`): those time windows by the
 * scheduler, not by the event's own time, and keep a Subject and a timer per key. This
 * one keeps one small entry per live key and sets no timer, which is measurably needed:
 * test/bench/count-exceeds.bench.ts feeds 10,000 addresses through both.
 *
 * A throwing `keyOf` or `timeOf` errors the stream.
 *
 * @example
 * authFailures$.pipe(countExceeds(5, 60_000, { keyOf: (f) => f.ip, timeOf: (f) => f.ts }))  // → block_ip
 */
export function countExceeds<T>(threshold: number, windowMs: number, opts: CountExceedsOptions<T> = {}): OperatorFunction<T, CountExceeded<T>> {
  const keyOf = opts.keyOf ?? (() => '');
  const scheduler = opts.scheduler ?? asyncScheduler;
  const timeOf = opts.timeOf ?? (() => scheduler.now());
  return (source) =>
    new Observable<CountExceeded<T>>((subscriber) => {
      const counter = new KeyedWindowCounter<T>({ windowMs, threshold, maxKeys: opts.maxKeys });
      return source.subscribe({
        next: (value) => {
          let fired: CountExceeded<T> | null = null;
          try {
            const key = keyOf(value);
            const events = counter.add(key, timeOf(value), value);
            if (events !== null) fired = { key, count: events.length, events, value };
          } catch (err) {
            subscriber.error(err);
            return;
          }
          if (fired !== null) subscriber.next(fired);
        },
        error: (err) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });
    });
}

export interface KeyedWindowCounterOptions {
  windowMs: number;
  /** fires when the count within the window is greater than this */
  threshold: number;
  /** most keys kept at once (default 100,000) */
  maxKeys?: number;
}

interface KeyWindow<T> {
  /** event times, ascending; at most threshold + 1 */
  times: number[];
  values: T[];
}

/**
 * countExceeds' state machine, also run directly (no Observable per line) by `panicmode
 * replay` over a million-line log, so both count the same way.
 *
 * Memory: a key holds at most `threshold + 1` events. Keys live in two generations, each
 * one window of event time long: a key touched moves to the young one; when the young
 * one is a window old it becomes the old one and the old one is dropped whole — so a
 * key not touched for two windows (its events all expired) costs nothing, with no sweep
 * over the live keys (10,000 addresses seen once are gone two windows later). `maxKeys`
 * caps the keys whatever the traffic: beyond it the old generation is dropped, then the
 * oldest young keys (they lose their partial counts — an attacker spreading over more
 * than `maxKeys` addresses in one window is a flood for connection limits, not for
 * per-address bans).
 */
export class KeyedWindowCounter<T> {
  private young = new Map<string, KeyWindow<T>>();
  private old = new Map<string, KeyWindow<T>>();
  /** event time the young generation began at */
  private youngSince = -Infinity;
  private readonly windowMs: number;
  private readonly threshold: number;
  private readonly maxKeys: number;

  constructor(options: KeyedWindowCounterOptions) {
    if (!(options.windowMs > 0)) throw new RangeError(`window must be > 0 ms, got ${options.windowMs}`);
    if (!(options.threshold >= 0)) throw new RangeError(`threshold must be ≥ 0, got ${options.threshold}`);
    this.windowMs = options.windowMs;
    this.threshold = options.threshold;
    this.maxKeys = options.maxKeys ?? 100_000;
  }

  /** Keys currently held (for memory checks and metrics). */
  get size(): number {
    return this.young.size + this.old.size;
  }

  /**
   * Records one event of `key` at `at` (ms). Returns the key's events in the window,
   * oldest first, when their count exceeds the threshold (and forgets them); else null.
   */
  add(key: string, at: number, value: T): T[] | null {
    if (at - this.youngSince >= this.windowMs || at < this.youngSince - 2 * this.windowMs) this.age(at);
    let w = this.young.get(key);
    if (w === undefined) {
      w = this.old.get(key);
      if (w !== undefined) this.old.delete(key);
      else {
        if (this.young.size + this.old.size >= this.maxKeys) this.shed();
        w = { times: [], values: [] };
      }
      this.young.set(key, w);
    }
    const times = w.times;
    const values = w.values;
    let n = times.length;
    if (n > 0) {
      const newest = times[n - 1]!;
      if (at <= newest - this.windowMs) {
        if (at > newest - 2 * this.windowMs) return null; // late, and outside the window
        n = times.length = values.length = 0; // the clock went back
      } else {
        // drop what has left the window (shifting in place: at most threshold + 1 entries)
        const horizon = (at > newest ? at : newest) - this.windowMs;
        let gone = 0;
        while (gone < n && times[gone]! <= horizon) gone++;
        if (gone > 0) {
          for (let j = gone; j < n; j++) {
            times[j - gone] = times[j]!;
            values[j - gone] = values[j]!;
          }
          n -= gone;
          times.length = values.length = n;
        }
      }
    }
    // insert where its time belongs (almost always at the end)
    let i = n;
    times.push(at);
    values.push(value);
    while (i > 0 && times[i - 1]! > at) {
      times[i] = times[i - 1]!;
      values[i] = values[i - 1]!;
      i--;
    }
    times[i] = at;
    values[i] = value;
    if (n + 1 > this.threshold) {
      this.young.delete(key);
      return values;
    }
    return null;
  }

  /** The count of `key` within the window ending at `now`. */
  count(key: string, now: number): number {
    const w = this.young.get(key) ?? this.old.get(key);
    if (!w) return 0;
    let n = 0;
    for (const t of w.times) if (t > now - this.windowMs) n++;
    return n;
  }

  /**
   * The young generation is a window old at `at`: it becomes the old one (its keys may
   * still have events in the window); the old one's newest events are over a window old.
   * (A clock that went back by more than two windows ages too, keeping the young keys.)
   */
  private age(at: number): void {
    this.old = at - this.youngSince >= 2 * this.windowMs ? new Map() : this.young;
    this.young = new Map();
    this.youngSince = at;
  }

  /** At the cap: drop the old generation, then the oldest-inserted young keys down to 90% of it. */
  private shed(): void {
    this.old = new Map();
    let excess = this.young.size - Math.floor(this.maxKeys * 0.9);
    for (const key of this.young.keys()) {
      if (excess-- <= 0) break;
      this.young.delete(key);
    }
  }
}
