/**
 * Per-IP counting over a sliding time window, memory-bounded: the pure core of SSH
 * brute-force detection (live and replay use the same class).
 *
 * Semantics: an event at `at` counts while `at > now - windowMs` (an event exactly
 * `windowMs` old has left the window), where `now` is the key's newest event. Times are
 * event times (a log line's own timestamp), so they may arrive a little out of order:
 * an event is placed where its time belongs, and one older than the key's window is
 * not counted. A clock that went back by more than a window (a daylight-saving change
 * in a local-time syslog) starts the key afresh instead of ignoring it for an hour. When a key's count EXCEEDS the threshold the
 * caller is handed that key's events and the key is reset — like fail2ban clearing an
 * address's failures when it bans it — so one burst raises one incident, and an
 * address that keeps going past a failed or expired ban raises another after
 * `threshold + 1` more failures.
 *
 * Memory: a key holds at most `threshold + 1` events. Keys whose newest event has left
 * the window are swept at most once per window, once the map holds over 1,024 keys and
 * twice what the last sweep left (so 10,000 addresses seen once cost nothing a window
 * later, and a small live set is not re-scanned for nothing), and `maxKeys` caps the live keys whatever the traffic: beyond it the
 * oldest keys are dropped (they lose their partial counts — an attacker spreading over
 * more than `maxKeys` addresses in one window is a flood for connection limits, not
 * for per-address bans).
 */

interface KeyWindow<T> {
  times: number[];
  values: T[];
}

export interface WindowedIpCounterOptions {
  windowMs: number;
  /** fires when the count within the window is greater than this */
  threshold: number;
  /** most keys kept at once (default 100,000) */
  maxKeys?: number;
}

export class WindowedIpCounter<T> {
  private readonly keys = new Map<string, KeyWindow<T>>();
  private readonly windowMs: number;
  private readonly threshold: number;
  private readonly maxKeys: number;
  private lastSweep = -Infinity;
  /** sweep only once the map has grown past this (twice the live keys after the last sweep) */
  private sweepFloor = 1024;

  constructor(options: WindowedIpCounterOptions) {
    if (!(options.windowMs > 0)) throw new RangeError(`window must be > 0 ms, got ${options.windowMs}`);
    if (!(options.threshold >= 0)) throw new RangeError(`threshold must be ≥ 0, got ${options.threshold}`);
    this.windowMs = options.windowMs;
    this.threshold = options.threshold;
    this.maxKeys = options.maxKeys ?? 100_000;
  }

  /** Keys currently held (for memory checks and metrics). */
  get size(): number {
    return this.keys.size;
  }

  /**
   * Records one event of `key` at `at` (ms). Returns the key's events in the window,
   * oldest first, when their count exceeds the threshold (and forgets them); else null.
   */
  add(key: string, at: number, value: T): T[] | null {
    if (at - this.lastSweep >= this.windowMs && this.keys.size >= this.sweepFloor) this.sweep(at);
    let w = this.keys.get(key);
    if (w === undefined) {
      if (this.keys.size >= this.maxKeys) this.shed(at);
      w = { times: [], values: [] };
      this.keys.set(key, w);
    }
    const newest = w.times.length > 0 ? w.times[w.times.length - 1]! : at;
    if (at <= newest - this.windowMs) {
      if (at > newest - 2 * this.windowMs) return null; // late, and outside the window
      w.times = []; // the clock went back
      w.values = [];
    }
    const horizon = Math.max(at, newest) - this.windowMs;
    while (w.times.length > 0 && w.times[0]! <= horizon) {
      w.times.shift();
      w.values.shift();
    }
    let i = w.times.length;
    while (i > 0 && w.times[i - 1]! > at) i--;
    w.times.splice(i, 0, at);
    w.values.splice(i, 0, value);
    if (w.times.length > this.threshold) {
      this.keys.delete(key);
      return w.values;
    }
    return null;
  }

  /** The count of `key` within the window ending at `now`. */
  count(key: string, now: number): number {
    const w = this.keys.get(key);
    if (!w) return 0;
    let n = 0;
    for (const t of w.times) if (t > now - this.windowMs) n++;
    return n;
  }

  /** Forgets every key whose newest event has left the window ending at `now`. */
  sweep(now: number): void {
    this.lastSweep = now;
    const horizon = now - this.windowMs;
    // forEach: no [key, value] pair allocated per entry (deleting while iterating is allowed)
    this.keys.forEach((w, key, keys) => {
      if (w.times[w.times.length - 1]! <= horizon) keys.delete(key);
    });
    // Amortised (sweep when the map has doubled), but never above the cap: after a
    // shed at maxKeys the survivors must still be swept once their window passes.
    this.sweepFloor = Math.min(Math.max(1024, 2 * this.keys.size), Math.floor(this.maxKeys * 0.9));
  }

  /** Over the cap: sweep, then drop the oldest-inserted keys down to 90% of it. */
  private shed(now: number): void {
    this.sweep(now);
    if (this.keys.size < this.maxKeys) return;
    let excess = this.keys.size - Math.floor(this.maxKeys * 0.9);
    for (const key of this.keys.keys()) {
      if (excess-- <= 0) break;
      this.keys.delete(key);
    }
  }
}
