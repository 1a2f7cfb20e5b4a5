/**
 * Connections (sessions) of a log: lines of one `host program[pid]` belong together, so
 * a failure logged without an address takes the one an earlier line gave, and held
 * failures wait for what the connection does next.
 *
 * Bounded without sweeps, without a Map and without an object per connection (replay
 * meets hundreds of thousands): a 4-way set-associative table in parallel typed arrays,
 * indexed by a hash of the pid and origin (no string built per line). A new connection takes a free
 * way of its set, else the way whose last line is oldest. A slot is checked against a hash of
 * `host program` (a central log server mixes hosts whose pids collide) and its age: an
 * entry older than `maxAgeMs` (on the log's own clock) is a new connection that reused
 * the pid.
 */

export interface SessionTableOptions {
  /** default 10,000 */
  maxEntries?: number;
  /** default 5 min */
  maxAgeMs?: number;
}

/** FNV-1a over `s[start, end)`: the origin of a line without building a string. */
export const originHash = (s: string, start: number, end: number): number => {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h | 0;
};

/** connections per set: a new one evicts the least recently active of its set */
const WAYS = 4;

export class SessionTable {
  private readonly bits: number;
  private readonly pidOf: Int32Array;
  private readonly origin: Int32Array;
  private readonly last: Float64Array;
  /** failures waiting for the connection to fail (or log in) */
  readonly held: Int32Array;
  /** failures waiting for an address */
  readonly pending: Int32Array;
  /** 1 when a second, different user name was tried */
  readonly severalUsers: Uint8Array;
  /** the client's address when an IPv4 address (its value; -1: none) — no string kept */
  readonly v4: Float64Array;
  /** the client's address as written, when not IPv4 (undefined until a line tells it) */
  readonly host: (string | undefined)[];
  /** hash of the first user name tried (0: none yet) */
  readonly userHash: Int32Array;
  private readonly maxAgeMs: number;

  constructor(options: SessionTableOptions = {}) {
    const sets = Math.max(1, Math.ceil((options.maxEntries ?? 10_000) / WAYS));
    this.bits = Math.max(1, Math.ceil(Math.log2(sets)));
    const n = (1 << this.bits) * WAYS;
    this.maxAgeMs = options.maxAgeMs ?? 300_000;
    this.pidOf = new Int32Array(n);
    this.origin = new Int32Array(n);
    this.last = new Float64Array(n);
    this.held = new Int32Array(n);
    this.pending = new Int32Array(n);
    this.severalUsers = new Uint8Array(n);
    this.v4 = new Float64Array(n);
    this.host = new Array<string | undefined>(n).fill(undefined);
    this.userHash = new Int32Array(n);
  }

  /** The slot of the live connection of `pid` from `origin` at `now`; a new one if `create`; else -1. */
  find(pid: number, origin: number, now: number, create: boolean): number {
    const base = this.setOf(pid, origin);
    let victim = base;
    for (let s = base; s < base + WAYS; s++) {
      if (this.pidOf[s] === pid && this.origin[s] === origin) {
        if (now - this.last[s]! <= this.maxAgeMs) {
          if (now > this.last[s]!) this.last[s] = now;
          return s;
        }
        // the pid was reused after the connection ended
        this.pidOf[s] = 0;
      }
      if (this.pidOf[s] === 0) victim = s;
      else if (this.pidOf[victim] !== 0 && this.last[s]! < this.last[victim]!) victim = s;
    }
    if (!create) return -1;
    this.pidOf[victim] = pid;
    this.origin[victim] = origin;
    this.last[victim] = now;
    this.held[victim] = 0;
    this.pending[victim] = 0;
    this.severalUsers[victim] = 0;
    this.v4[victim] = -1;
    this.host[victim] = undefined;
    this.userHash[victim] = 0;
    return victim;
  }

  /** Forgets the connection of `pid` from `origin`. */
  delete(pid: number, origin: number): void {
    const base = this.setOf(pid, origin);
    for (let s = base; s < base + WAYS; s++) if (this.pidOf[s] === pid && this.origin[s] === origin) this.pidOf[s] = 0;
  }

  /** First slot of the set of (pid, origin). */
  private setOf(pid: number, origin: number): number {
    return ((Math.imul(pid ^ origin, 0x9e3779b1) >>> 0) >>> (32 - this.bits)) * WAYS;
  }
}
