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
import type { AuthFailure } from './auth-failure.js';
import type { CompiledPattern } from './compiled-pattern.js';
import type { CompiledFilter } from './filters/compile-filter.js';
import type { PatternEffect } from './filters/filter-definition.js';
import { loadFilter } from './filters/load-filter.js';
import { SessionTable, type Session, type SessionTableOptions } from './filters/session-table.js';
import { LineHeaderParser } from './log-line-header.js';
import { normalizeMatchedAddress } from './remote-address.js';
import { SyslogYear, TimestampParser, type ParsedTimestamp } from './log-timestamp.js';

/** Programs whose lines are sshd's: OpenSSH ≥ 9.8 logs per-connection messages as sshd-session, 10 adds sshd-auth. */
export const sshdPrograms: readonly string[] = ['sshd', 'sshd-session', 'sshd-auth'];

export interface MatcherOptions {
  /** clock (ms): the year of syslog timestamps, and session expiry for lines without a time; default Date.now */
  now?: () => number;
  /** a compiled filter, or a filter name/path (default `sshd`) */
  filter?: CompiledFilter | string;
  /** the filter's mode when `filter` is a name/path (default: the filter's default) */
  mode?: string;
  sessions?: SessionTableOptions;
}

/** Bytes ≥ 0x80 in a latin1-decoded string: a UTF-8 sequence to re-decode. */
const nonAscii = /[\u0080-\u00ff]/;

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
  /** the host as written */
  host = '';
  /** user name, or undefined */
  user: string | undefined = undefined;
  kind = '';
  /** pattern of the line (set whenever a pattern matched, failure or not; '' when none) */
  patternId = '';
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
    this.now = options.now ?? Date.now;
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
    const key = pid === undefined ? null : `${program}[${pid}]`;
    return this.scanMessage(text, 0, text.length, 1, key) && this.ip !== null ? this.result() : null;
  }

  /**
   * Like matchLine, without allocating for lines that match nothing: true when the line
   * records a failure (`count` > 0; `ip` null when the host is a name), result in the fields.
   */
  scanLine(text: string, start: number, end: number): boolean {
    this.patternId = '';
    const h = this.header;
    const f = this.filter;
    if (f.plain) {
      if (!h.parsePlain(text, start, end)) return false;
      this.program = '';
      this.pid = 0;
      this.ts = NaN;
      return this.scanMessage(text, h.msgStart, end, 1, null, text, start);
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
    const lineStart = start;
    const matched = this.scanMessage(msg, msgStart, msgEnd, h.repeat, null, text, lineStart);
    return matched;
  }

  /** Whether text[start, end) is one of the filter's `programs`. */
  private isListed(text: string, start: number, end: number): boolean {
    const programs = this.filter.programs;
    for (let i = 0; i < programs.length; i++) if (programs[i]!.length === end - start && text.startsWith(programs[i]!, start)) return true;
    return false;
  }

  /** The timestamp (unix ms, NaN if none) of the line starting at `start`. */
  timeOf(text: string, start: number): number {
    const nl = text.indexOf('\n', start);
    const end = nl === -1 ? text.length : nl;
    const parsed = this.filter.plain ? this.header.parsePlain(text, start, end) : this.header.parse(text, start, end);
    if (!parsed || this.header.tsStart < 0) return NaN;
    this.timestamps.parse(text, this.header.tsStart, this.tsOut);
    return this.tsOut.ms;
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
   * Matches the message `s[start, end)`; applies the connection state. `line`/`lineStart`:
   * where the header is (for the connection key and the time), absent for the journal.
   */
  private scanMessage(s: string, start: number, end: number, repeat: number, journalKey: string | null, line?: string, lineStart = 0): boolean {
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
      if (p.prefix.length > 0 && !s.startsWith(p.prefix, start)) continue;
      p.fast.lastIndex = start;
      m = p.fast.exec(s);
      if (m === null || p.fast.lastIndex > end) continue;
      c = p;
      break;
    }
    if (c === undefined || m === null) return false;
    for (const ig of f.ignore) {
      ig.lastIndex = start;
      if (ig.test(s)) return false;
    }
    this.patternId = c.id;
    this.kind = c.kind;
    let user = c.userIndex > 0 ? m[c.userIndex] : undefined;
    if ((user === undefined || user === '') && c.altUserIndex > 0 && m[c.altUserIndex]) user = m[c.altUserIndex];
    if (user !== undefined && this.latin1 && nonAscii.test(user)) user = Buffer.from(user, 'latin1').toString('utf8');
    const lineHost = c.hostIndex > 0 ? m[c.hostIndex] : undefined;

    // the connection: `host program[pid]` of the header (journal: program[pid])
    let key: string | null = journalKey;
    if (line !== undefined) {
      const h = this.header;
      if (h.tsStart >= 0) {
        this.timestamps.parse(line, h.tsStart, this.tsOut);
        this.ts = this.tsOut.ms;
      }
      key = h.pid > 0 ? line.slice(h.hostStart, h.tagEnd) : null;
    }
    const now = Number.isNaN(this.ts) ? this.now() : this.ts;
    const session = key === null ? undefined : this.sessions.get(key, now, !c.forget);
    const count = this.apply(c.effect, session, lineHost, user, repeat);
    if (c.forget && key !== null) this.sessions.delete(key);
    if (count === 0) return false;
    const host = lineHost ?? session?.host;
    if (host === undefined) return false;
    this.count = count;
    this.user = user ?? (session && session.users.length > 0 ? session.users[session.users.length - 1] : undefined);
    this.host = host;
    this.ip = normalizeMatchedAddress(host);
    return true;
  }

  /**
   * The failures this line records, given its effect and its connection (updated):
   * see rules/filters/README.md, "Effects and connections".
   */
  private apply(effect: PatternEffect, s: Session | undefined, lineHost: string | undefined, user: string | undefined, repeat: number): number {
    if (s === undefined) return effect === 'failure' && lineHost !== undefined ? repeat : 0;
    if (lineHost !== undefined) s.host = lineHost;
    if (user !== undefined && !s.users.includes(user) && s.users.length < 8) s.users.push(user);
    const severalUsers = s.users.length > 1;
    let count = 0;
    switch (effect) {
      case 'failure':
        count = repeat + s.held + s.pending;
        s.held = s.pending = 0;
        break;
      case 'held':
        if (severalUsers) {
          count = repeat + s.held + s.pending;
          s.held = s.pending = 0;
        } else s.held += repeat;
        break;
      case 'helper':
        if (s.pending > 0 || (severalUsers && s.held > 0)) {
          count = s.pending + s.held;
          s.held = s.pending = 0;
        }
        break;
      case 'success':
        if (severalUsers) count = repeat + s.held + s.pending;
        s.held = s.pending = 0;
        break;
    }
    if (count > 0 && s.host === undefined) {
      // no address known yet: the failures wait for a line that tells it
      s.pending += count;
      return 0;
    }
    return count;
  }
}

const shared = new Map<string, AuthLineMatcher>();

/**
 * Parses one auth log line with the sshd filter in normal mode (connections carry
 * across calls). Returns the failure it records, or null for every other line.
 *
 * @example
 * parseAuthLine('Nov 21 10:00:01 web sshd[123]: Invalid user admin from 1.2.3.4 port 5555')
 * // → { ts, ip: '1.2.3.4', kind: 'invalid_user', user: 'admin', pid: 123, program: 'sshd', pattern: 'invalid-user' }
 */
export const parseAuthLine = (line: string): AuthFailure | null => {
  let m = shared.get('sshd');
  if (!m) shared.set('sshd', (m = new AuthLineMatcher()));
  return m.matchLine(line, 0, line.length);
};
