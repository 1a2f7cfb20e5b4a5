/**
 * Connections (sessions) of a log: lines of one `host program[pid]` belong together, so
 * a failure logged without an address takes the one an earlier line gave, and held
 * failures wait for what the connection does next. Bounded: entries expire `maxAgeMs`
 * after their last line (on the log's own clock) and the oldest go first beyond
 * `maxEntries` (a Map keeps insertion order; a touched entry is re-inserted).
 */

export interface Session {
  /** the client's address as written (undefined until a line tells it) */
  host: string | undefined;
  /** user names tried, distinct (at most 8 kept: two are enough to decide) */
  users: string[];
  /** failures waiting for the connection to fail (or log in) */
  held: number;
  /** failures waiting for an address */
  pending: number;
  /** time of the last line */
  last: number;
}

export interface SessionTableOptions {
  /** default 10,000 */
  maxEntries?: number;
  /** default 5 min */
  maxAgeMs?: number;
}

export class SessionTable {
  private readonly map = new Map<string, Session>();
  private readonly maxEntries: number;
  private readonly maxAgeMs: number;

  constructor(options: SessionTableOptions = {}) {
    this.maxEntries = options.maxEntries ?? 10_000;
    this.maxAgeMs = options.maxAgeMs ?? 300_000;
  }

  get size(): number {
    return this.map.size;
  }

  /** The live session for `key` at time `now` (touched), or a new one if `create`. */
  get(key: string, now: number, create: boolean): Session | undefined {
    let s = this.map.get(key);
    if (s !== undefined) {
      this.map.delete(key);
      // a stale entry is a different connection that reused the pid
      if (now - s.last > this.maxAgeMs) s = undefined;
    }
    if (s === undefined) {
      if (!create) return undefined;
      s = { host: undefined, users: [], held: 0, pending: 0, last: now };
    }
    s.last = Math.max(s.last, now);
    this.map.set(key, s);
    if (this.map.size > this.maxEntries) this.evict(now);
    return s;
  }

  delete(key: string): void {
    this.map.delete(key);
  }

  /** Drops expired entries from the oldest end, then the oldest beyond the bound. */
  private evict(now: number): void {
    for (const [k, s] of this.map) {
      if (this.map.size <= this.maxEntries && now - s.last <= this.maxAgeMs) break;
      this.map.delete(k);
    }
  }
}
