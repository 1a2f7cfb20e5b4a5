/**
 * Parsing auth log lines into AuthFailures: the syslog header (timestamp, host,
 * `sshd[pid]:`) by character codes, then the message against the pattern table
 * (sshd-patterns.ts), dispatched on its first character and literal prefix so most
 * lines never reach a regex.
 *
 * The matcher works on a range of a larger string, so replay can run over a whole
 * decoded chunk without slicing a string per line, and it has an allocation-free
 * `scanLine` (results in fields) beside the object-returning `matchLine`.
 */
import type { AuthFailure, FailureKind } from './auth-failure.js';
import { sshdPatterns, type SshdPattern } from './sshd-patterns.js';
import { compilePattern, type CompiledPattern } from './compiled-pattern.js';
import { normalizeMatchedAddress } from './remote-address.js';
import { SyslogYear, TimestampParser, type ParsedTimestamp } from './log-timestamp.js';

/** Programs whose lines are sshd's: OpenSSH ≥ 9.8 logs per-connection messages as sshd-session, 10 adds sshd-auth. */
export const sshdPrograms: readonly string[] = ['sshd', 'sshd-session', 'sshd-auth'];

export interface MatcherOptions {
  /** clock for the year of syslog timestamps (which carry none); default Date.now */
  now?: () => number;
  patterns?: readonly SshdPattern[];
}

const buildDispatch = (patterns: readonly SshdPattern[]): (CompiledPattern[] | undefined)[] => {
  const table: (CompiledPattern[] | undefined)[] = [];
  for (const p of patterns) (table[p.prefix.charCodeAt(0)] ??= []).push(compilePattern(p));
  return table;
};

/** Bytes ≥ 0x80 in a latin1-decoded string: a UTF-8 sequence to re-decode. */
const nonAscii = /[\u0080-\u00ff]/;

/** A reusable matcher (it caches the last timestamp); one per stream being parsed. */
export class AuthLineMatcher {
  private readonly dispatch: (CompiledPattern[] | undefined)[];
  private readonly timestamps: TimestampParser;
  private readonly tsOut: ParsedTimestamp = { ms: NaN, end: 0 };

  // ── the last scanLine/scanMessage result ──
  /** remote address, normalised */
  ip = '';
  /** user name, or undefined */
  user: string | undefined = undefined;
  kind: FailureKind = 'failed_password';
  patternId = '';
  program = '';
  pid = 0;

  /**
   * `latin1`: the text was decoded as latin1 (replay does, it is faster); user names
   * with bytes ≥ 0x80 are re-decoded as UTF-8.
   */
  constructor(options: MatcherOptions = {}, private readonly latin1 = false) {
    this.dispatch = buildDispatch(options.patterns ?? sshdPatterns);
    this.timestamps = new TimestampParser(new SyslogYear(options.now));
  }

  /**
   * Parses the line `text[start, end)` (`end` at its newline or the text's end).
   * Returns null for any line that is not an sshd failure.
   */
  matchLine(text: string, start: number, end: number): AuthFailure | null {
    if (!this.scanLine(text, start, end)) return null;
    const f = this.result();
    const ts = this.timeOf(text, start);
    if (!Number.isNaN(ts)) f.ts = ts;
    return f;
  }

  /** Matches an sshd message without header (the journal's MESSAGE). */
  matchMessage(text: string, program: string, pid: number | undefined): AuthFailure | null {
    this.program = program;
    this.pid = pid ?? 0;
    return this.scanMessage(text, 0, text.length) ? this.result() : null;
  }

  /** Like matchLine, without allocating: the result is in the fields. */
  scanLine(text: string, start: number, end: number): boolean {
    const msgStart = this.header(text, start, end);
    return msgStart >= 0 && this.scanMessage(text, msgStart, end);
  }

  /** The timestamp (unix ms, NaN if unreadable) of the line starting at `start`. */
  timeOf(text: string, start: number): number {
    this.timestamps.parse(text, start, this.tsOut);
    return this.tsOut.ms;
  }

  private result(): AuthFailure {
    const f: AuthFailure = { ip: this.ip, kind: this.kind, program: this.program, pattern: this.patternId };
    if (this.user !== undefined) f.user = this.user;
    if (this.pid > 0) f.pid = this.pid;
    return f;
  }

  private scanMessage(text: string, start: number, end: number): boolean {
    const candidates = this.dispatch[text.charCodeAt(start)];
    if (candidates === undefined) return false;
    for (let i = 0; i < candidates.length; i++) {
      const c = candidates[i]!;
      if (!text.startsWith(c.pattern.prefix, start)) continue;
      c.fast.lastIndex = start;
      const m = c.fast.exec(text);
      if (m === null || c.fast.lastIndex > end) continue;
      const ip = normalizeMatchedAddress(m[c.ipIndex]!);
      if (ip === null) return false;
      this.ip = ip;
      let user = c.userIndex > 0 ? m[c.userIndex] : undefined;
      if (user !== undefined && this.latin1 && nonAscii.test(user)) user = Buffer.from(user, 'latin1').toString('utf8');
      this.user = user;
      this.kind = c.pattern.kind;
      this.patternId = c.pattern.id;
      return true;
    }
    return false;
  }

  /**
   * Finds `sshd[pid]: ` after the timestamp and host; returns the message start or -1.
   * Sets program and pid.
   */
  private header(s: string, start: number, end: number): number {
    const c0 = s.charCodeAt(start);
    // timestamp: ISO runs to the first space, syslog is 15 characters
    const tsEnd = c0 >= 48 && c0 <= 57 ? s.indexOf(' ', start) : start + 15;
    if (tsEnd < 0 || tsEnd >= end || s.charCodeAt(tsEnd) !== 32) return -1;
    const hostEnd = s.indexOf(' ', tsEnd + 1);
    if (hostEnd < 0 || hostEnd >= end) return -1;
    let p = hostEnd + 1;
    if (!s.startsWith('sshd', p)) return -1;
    p += 4;
    let c = s.charCodeAt(p);
    if (c === 91) this.program = 'sshd';
    else if (c === 45) {
      if (s.startsWith('-session[', p)) {
        this.program = 'sshd-session';
        p += 8;
      } else if (s.startsWith('-auth[', p)) {
        this.program = 'sshd-auth';
        p += 5;
      } else return -1;
    } else return -1;
    // p at '['
    let pid = 0;
    p++;
    for (c = s.charCodeAt(p); c >= 48 && c <= 57; c = s.charCodeAt(++p)) pid = pid * 10 + (c - 48);
    if (c !== 93 || s.charCodeAt(p + 1) !== 58 || s.charCodeAt(p + 2) !== 32) return -1;
    this.pid = pid;
    const msgStart = p + 3;
    return msgStart < end ? msgStart : -1;
  }
}

const shared = new AuthLineMatcher();

/**
 * Parses one auth log line (syslog or ISO-8601 timestamp, `host sshd[pid]: message`).
 * Returns the failure it records, or null for every other line (successful logins,
 * session messages, other programs, forged fragments without an IP address).
 *
 * @example
 * parseAuthLine('Nov 21 10:00:01 web sshd[123]: Invalid user admin from 1.2.3.4 port 5555')
 * // → { ts, ip: '1.2.3.4', kind: 'invalid_user', user: 'admin', pid: 123, program: 'sshd', pattern: 'invalid-user' }
 */
export const parseAuthLine = (line: string): AuthFailure | null => shared.matchLine(line, 0, line.length);
