export interface KeyedWindowCounterOptions {
  windowMs: number;
  /** fires when the count within the window is greater than this */
  threshold: number;
  /** most keys kept at once (default 100,000) */
  maxKeys?: number;
}

/**
 * countExceeds' state machine: per-key counts over a sliding window of event time, a
 * key's events handed over (and forgotten) when they exceed the threshold. Pure:
 * imports nothing. Also run directly by `panicmode replay` over a million-line log (no
 * Observable per line, and no rxjs to load for a command that starts in a fraction of a
 * second), so the agent and replay count the same way.
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
  private young = new Map<string, SlidingWindow<T>>();
  private old = new Map<string, SlidingWindow<T>>();
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
        w = new SlidingWindow<T>();
      }
      this.young.set(key, w);
    }
    const fired = w.add(at, value, this.windowMs, this.threshold);
    if (fired !== null) this.young.delete(key);
    return fired;
  }

  /** The count of `key` within the window ending at `now`. */
  count(key: string, now: number): number {
    return (this.young.get(key) ?? this.old.get(key))?.count(now, this.windowMs) ?? 0;
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

/**
 * One key's events in its window, oldest first: the counting itself. An event exactly
 * `windowMs` older than the key's newest has left the window; a late event is placed
 * where its time belongs, or ignored when older than the window; a clock that went back
 * by more than a window (a DST change in local-time syslog) starts afresh. Replay keeps
 * one per offender beside its other per-address state (one lookup per line instead of
 * three); the agent reaches them through KeyedWindowCounter, which bounds their number.
 */
export class SlidingWindow<T> {
  /**
   * Event times, ascending, and their values: slots [0, n) are live. The arrays are
   * never shrunk (setting an array's length is a slow path in V8, and this runs per
   * failure of a million-line replay); slots past n are cleared, so no value is kept.
   */
  private readonly times: number[] = [];
  private readonly values: (T | undefined)[] = [];
  private n = 0;

  /**
   * Adds one event. Returns the events in the window, oldest first, when their count
   * exceeds `threshold`, and starts afresh; else null.
   */
  add(at: number, value: T, windowMs: number, threshold: number): T[] | null {
    const times = this.times;
    const values = this.values;
    let n = this.n;
    if (n > 0) {
      const newest = times[n - 1]!;
      if (at <= newest - windowMs) {
        if (at > newest - 2 * windowMs) return null; // late, and outside the window
        n = this.clear(0); // the clock went back
      } else {
        // drop what has left the window (shifting in place: at most threshold + 1 entries)
        const horizon = (at > newest ? at : newest) - windowMs;
        let gone = 0;
        while (gone < n && times[gone]! <= horizon) gone++;
        if (gone > 0) {
          for (let j = gone; j < n; j++) {
            times[j - gone] = times[j]!;
            values[j - gone] = values[j];
          }
          n = this.clear(n - gone);
        }
      }
    }
    // insert where its time belongs (almost always at the end)
    if (n === times.length) {
      times.push(at);
      values.push(value);
    }
    let i = n;
    while (i > 0 && times[i - 1]! > at) {
      times[i] = times[i - 1]!;
      values[i] = values[i - 1];
      i--;
    }
    times[i] = at;
    values[i] = value;
    this.n = ++n;
    if (n <= threshold) return null;
    // fires: hand the events over and start afresh
    const fired = values.slice(0, n) as T[];
    this.clear(0);
    return fired;
  }

  /** The events within the window ending at `now`. */
  count(now: number, windowMs: number): number {
    let k = 0;
    for (let i = 0; i < this.n; i++) if (this.times[i]! > now - windowMs) k++;
    return k;
  }

  /** Keeps the first `n` events (clearing the values past them); returns n. */
  private clear(n: number): number {
    for (let i = n; i < this.n; i++) this.values[i] = undefined;
    this.n = n;
    return n;
  }
}
