/**
 * Log lines → authentication failures, through a filter (rules/filters/*.yaml): the
 * syslog header by character codes (log-line-header.ts), the program checked against
 * the filter's, the message dispatched on its first character and literal prefix (most
 * lines never reach a regex), and the connection's state (filters/session-table.ts)
 * applied. One class for the live agent (files and journal) and replay, so they cannot
 * disagree.
 *
 * The matcher works on a range of a larger string, so replay can run over a whole
 * decoded chunk without slicing a string per line; `scanLine` leaves its result in
 * fields (no allocation), `matchLine` returns an object.
 */
import { asyncScheduler } from 'rxjs';
import type { AuthFailure } from './auth-failure.js';
import type { CompiledPattern } from './compiled-pattern.js';
import type { CompiledFilter } from './filters/compile-filter.js';
import type { PatternEffect } from './filters/filter-definition.js';
import { loadFilter } from './filters/load-filter.js';
import { originHash, SessionTable, type SessionTableOptions } from './filters/session-table.js';
import { LineHeaderParser } from './log-line-header.js';
import { dottedQuadText, dottedQuadValue, normalizeMatchedAddress } from './remote-address.js';
import { SyslogYear, TimestampParser, type ParsedTimestamp } from './log-timestamp.js';

/** Programs whose lines are sshd's: OpenSSH ≥ 9.8 logs per-connection messages as sshd-session, 10 adds sshd-auth. */
export const sshdPrograms: readonly string[] = ['sshd', 'sshd-session', 'sshd-auth'];

export interface MatcherOptions {
  /** clock (ms): the year of syslog timestamps, and session expiry for lines without a time; default the production scheduler's clock */
  now?: () => number;
  /** a compiled filter, or a filter name/path (default `sshd`) */
  filter?: CompiledFilter | string;
  /** the filter's mode when `filter` is a name/path (default: the filter's default) */
  mode?: string;
  sessions?: SessionTableOptions;
}

/** Bytes ≥ 0x80 in a latin1-decoded string: a UTF-8 sequence to re-decode. */
const hasHighByte = (s: string): boolean => {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) return true;
  return false;
};

/** `address` appears in `message` as a word of its own (after a space, not followed by more address). */
const namesAddress = (message: string, address: string): boolean => {
  for (let i = message.indexOf(address); i >= 0; i = message.indexOf(address, i + 1)) {
    const after = message.charCodeAt(i + address.length);
    const continues = (after >= 48 && after <= 58) || (after >= 65 && after <= 70) || (after >= 97 && after <= 102) || after === 46;
    if (message.charCodeAt(i - 1) === 32 && !continues) return true;
  }
  return false;
};

/** A reusable matcher (it keeps connections and the last timestamp); one per stream parsed. */
export class AuthLineMatcher {
  readonly filter: CompiledFilter;
  private readonly header = new LineHeaderParser();
  private readonly timestamps: TimestampParser;
  private readonly tsOut: ParsedTimestamp = { ms: NaN, end: 0 };
  private readonly sessions: SessionTable;
  private readonly now: () => number;

  // ── the last scan's result ──
  /** remote address, normalised; null when the host is not an address (a name) */
  ip: string | null = null;
  /** the IPv4 address's 32-bit value, -1 for IPv6 or a name */
  ipValue = -1;
  /** the host as written */
  host = '';
  /** user name, or undefined */
  user: string | undefined = undefined;
  kind = '';
  /** pattern of the line (set whenever a pattern matched, failure or not; '' when none) */
  patternId = '';
  /** its index in the filter definition's patterns (-1 when none matched) */
  patternIndex = -1;
  program = '';
  pid = 0;
  /** failures the line stands for (repeats, held failures of its connection) */
  count = 0;
  /** the line's time (unix ms), NaN when it has none */
  ts = NaN;

  /**
   * `latin1`: the text was decoded as latin1 (replay does, it is faster); user names
   * with bytes ≥ 0x80 are re-decoded as UTF-8.
   */
  constructor(options: MatcherOptions = {}, private readonly latin1 = false) {
    const f = options.filter ?? 'sshd';
    this.filter = typeof f === 'string' ? loadFilter(f, options.mode) : f;
    this.now = options.now ?? (() => asyncScheduler.now());
    this.timestamps = new TimestampParser(new SyslogYear(this.now));
    this.sessions = new SessionTable(options.sessions);
  }

  /** Parses the line `text[start, end)`. Null unless it records a failure of a bannable address. */
  matchLine(text: string, start: number, end: number): AuthFailure | null {
    return this.scanLine(text, start, end) && this.ip !== null ? this.result() : null;
  }

  /** Matches a message without header (the journal's MESSAGE; the pid is the trusted _PID). */
  matchMessage(text: string, program: string, pid: number | undefined): AuthFailure | null {
    this.program = program;
    this.pid = pid ?? 0;
    this.ts = NaN;
    this.patternId = '';
    this.patternIndex = -1;
    return this.scanMessage(text, 0, text.length, 1, originHash(program, 0, program.length)) && this.ip !== null ? this.result() : null;
  }

  /**
   * Like matchLine, without allocating for lines that match nothing: true when the line
   * records a failure (`count` > 0; `ip` null when the host is a name), result in the fields.
   */
  scanLine(text: string, start: number, end: number): boolean {
    this.patternId = '';
    this.patternIndex = -1;
    const h = this.header;
    const f = this.filter;
    if (f.plain) {
      if (!h.parsePlain(text, start, end)) return false;
      this.program = '';
      this.pid = 0;
      this.ts = NaN;
      return this.scanMessage(text, h.msgStart, end, 1, 0, text);
    }
    if (!h.parse(text, start, end)) return false;
    const programs = f.programs;
    if (f.programRegex !== null && (programs.length === 0 || !this.isListed(text, h.progStart, h.progEnd))) {
      const program = text.slice(h.progStart, h.progEnd);
      if (!f.programRegex.test(program)) return false;
      this.program = program;
    } else if (programs.length > 0) {
      const len = h.progEnd - h.progStart;
      let ok = false;
      for (let i = 0; i < programs.length; i++) {
        const p = programs[i]!;
        if (p.length === len && text.startsWith(p, h.progStart)) {
          ok = true;
          this.program = p;
          break;
        }
      }
      if (!ok) return false;
    } else this.program = text.slice(h.progStart, h.progEnd);
    this.pid = h.pid;
    this.ts = NaN;
    let msgStart = h.msgStart;
    let msgEnd = h.msgEnd;
    let msg = text;
    if (h.repeat > 1 || msgEnd !== end) {
      // `message repeated N times: [ … ]`: the message ends before the `]`, so it is
      // matched on its own (rare lines: the slice costs nothing that matters)
      msg = text.slice(msgStart, msgEnd);
      msgStart = 0;
      msgEnd = msg.length;
    }
    return this.scanMessage(msg, msgStart, msgEnd, h.repeat, 0, text);
  }

  /** Whether text[start, end) is one of the filter's `programs`. */
  private isListed(text: string, start: number, end: number): boolean {
    const programs = this.filter.programs;
    for (let i = 0; i < programs.length; i++) if (programs[i]!.length === end - start && text.startsWith(programs[i]!, start)) return true;
    return false;
  }

  private result(): AuthFailure {
    const f: AuthFailure = { ip: this.ip!, kind: this.kind, program: this.program, pattern: this.patternId };
    if (this.user !== undefined) f.user = this.user;
    if (this.pid > 0) f.pid = this.pid;
    if (this.count !== 1) f.count = this.count;
    if (!Number.isNaN(this.ts)) f.ts = this.ts;
    return f;
  }

  /**
   * Matches the message `s[start, end)`; applies the connection state. `line`: the text
   * the header was parsed from (for the connection's origin and the time), absent for
   * the journal (`origin` given, pid in `this.pid`).
   */
  private scanMessage(s: string, start: number, end: number, repeat: number, origin: number, line?: string): boolean {
    const f = this.filter;
    // the filter's prefixes (`error: `...)
    const strip = f.stripPrefixes;
    for (let i = 0; i < strip.length; i++) {
      if (s.startsWith(strip[i]!, start)) {
        start += strip[i]!.length;
        break;
      }
    }
    // the filter's prefix regex (dovecot's `auth-worker(…): Info: `...): required when set
    const pre = f.prefixRegex;
    if (pre !== null) {
      pre.lastIndex = start;
      if (!pre.test(s) || pre.lastIndex > end) return false;
      start = pre.lastIndex;
    }
    const candidates = f.dispatch[s.charCodeAt(start)] ?? f.anyStart;
    let c: CompiledPattern | undefined;
    let m: RegExpExecArray | null = null;
    for (let i = 0; i < candidates.length; i++) {
      const p = candidates[i]!;
      if (p.prefix.length > 0 ? !s.startsWith(p.prefix, start) : p.afterFirst.length > 0 && !s.startsWith(p.afterFirst, start + 1)) continue;
      p.fast.lastIndex = start;
      m = p.fast.exec(s);
      if (m === null || p.fast.lastIndex > end) continue;
      c = p;
      break;
    }
    if (c === undefined || m === null) return false;
    for (let i = 0; i < f.ignore.length; i++) {
      const ig = f.ignore[i]!;
      ig.lastIndex = start;
      if (ig.test(s) && ig.lastIndex <= end) return false;
    }
    this.patternId = c.id;
    this.patternIndex = c.index;
    this.kind = c.kind;
    let user = c.userIndex > 0 ? m[c.userIndex] : undefined;
    if ((user === undefined || user === '') && c.altUserIndex > 0 && m[c.altUserIndex]) user = m[c.altUserIndex];
    if (user !== undefined && this.latin1 && hasHighByte(user)) user = Buffer.from(user, 'latin1').toString('utf8');
    let lineHost = c.hostIndex > 0 ? m[c.hostIndex] : undefined;

    // the connection: `host program[pid]` of the header (journal: program[_PID])
    if (line !== undefined) {
      const h = this.header;
      if (h.tsStart >= 0) {
        this.timestamps.parse(line, h.tsStart, this.tsOut);
        this.ts = this.tsOut.ms;
      }
      origin = originHash(line, h.hostStart, h.progEnd);
    }
    const pid = this.pid;
    const now = Number.isNaN(this.ts) ? this.now() : this.ts;
    const slot = pid > 0 ? this.sessions.find(pid, origin, now, !c.forget) : -1;
    let lineV4 = lineHost === undefined ? -1 : dottedQuadValue(lineHost);
    if (slot >= 0 && lineHost !== undefined && (lineV4 < 0 || lineV4 !== this.sessions.v4[slot])) {
      const known = this.connectionHost(slot);
      if (known !== undefined && known !== lineHost && namesAddress(s.slice(start, end), known)) {
        // One connection has one peer. A line that names the address an earlier line of
        // the connection gave, and another one where the pattern looked, is ambiguous
        // (`Failed password for invalid user x from 6.6.6.6 port 1 ssh2: y from <real>`
        // reads both ways, and fail2ban's corpus wants auth-info read as auth-info): the
        // connection's own address wins — the client can choose user names, not its address.
        lineHost = known;
        lineV4 = dottedQuadValue(known);
      }
    }
    const count = this.apply(c.effect, slot, lineHost, lineV4, user, repeat);
    if (c.forget && pid > 0) this.sessions.delete(pid, origin);
    if (count === 0) return false;
    const host = lineHost ?? (slot >= 0 ? this.connectionHost(slot) : undefined);
    if (host === undefined) return false;
    this.count = count;
    this.user = user;
    this.host = host;
    this.ipValue = lineHost !== undefined ? lineV4 : this.sessions.v4[slot]!;
    this.ip = this.ipValue >= 0 ? host : normalizeMatchedAddress(host);
    return true;
  }

  /** The address a connection's earlier line gave, or undefined. */
  private connectionHost(slot: number): string | undefined {
    const v = this.sessions.v4[slot]!;
    return v >= 0 ? dottedQuadText(v) : this.sessions.host[slot];
  }

  /**
   * The failures this line records, given its effect and its connection (updated):
   * see rules/filters/README.md, "Effects and connections".
   */
  private apply(effect: PatternEffect, slot: number, lineHost: string | undefined, lineV4: number, user: string | undefined, repeat: number): number {
    if (slot < 0) return effect === 'failure' && lineHost !== undefined ? repeat : 0;
    const t = this.sessions;
    if (lineHost !== undefined) {
      // an IPv4 address is kept as its value; another host as a string of its own (V8
      // slices of 13+ characters would keep the whole replay chunk alive)
      if (lineV4 >= 0) {
        t.v4[slot] = lineV4;
        t.host[slot] = undefined;
      } else if (t.host[slot] !== lineHost) {
        t.v4[slot] = -1;
        t.host[slot] = lineHost.length < 13 ? lineHost : (' ' + lineHost).slice(1);
      }
    }
    if (user !== undefined) {
      // only "a different user" matters: a hash, no string kept (0 is "none yet")
      const h = originHash(user, 0, user.length) | 1;
      const first = t.userHash[slot];
      if (first === 0) t.userHash[slot] = h;
      else if (first !== h) t.severalUsers[slot] = 1;
    }
    const severalUsers = t.severalUsers[slot] === 1;
    const held = t.held[slot]!;
    const pending = t.pending[slot]!;
    let count = 0;
    switch (effect) {
      case 'failure':
        count = repeat + held + pending;
        break;
      case 'held':
        if (severalUsers) count = repeat + held + pending;
        else t.held[slot] = held + repeat;
        break;
      case 'helper':
        if (pending > 0 || (severalUsers && held > 0)) count = pending + held;
        break;
      case 'success':
        if (severalUsers) count = repeat + held + pending;
        else t.held[slot] = t.pending[slot] = 0;
        break;
    }
    if (count === 0) return 0;
    t.held[slot] = 0;
    if (t.v4[slot] < 0 && t.host[slot] === undefined) {
      // no address known yet: the failures wait for a line that tells it
      t.pending[slot] = count;
      return 0;
    }
    t.pending[slot] = 0;
    return count;
  }
}

let shared: AuthLineMatcher | undefined;

/**
 * One auth log line through the sshd filter in normal mode: the failure it records, or
 * null. Convenience for single lines (tests, tools); a stream uses its own
 * AuthLineMatcher, since connections carry across the lines it is given (here: across
 * calls).
 *
 * @example
 * parseAuthLine('Nov 21 10:00:01 web sshd[123]: Invalid user admin from 1.2.3.4 port 5555')
 * // → { ts, ip: '1.2.3.4', kind: 'invalid_user', user: 'admin', pid: 123, program: 'sshd', pattern: 'invalid-user' }
 */
export const parseAuthLine = (line: string): AuthFailure | null => (shared ??= new AuthLineMatcher()).matchLine(line, 0, line.length);
