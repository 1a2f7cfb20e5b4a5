/**
 * Parsing auth log lines into AuthFailures: the syslog header (timestamp, host,
 * `sshd[pid]:`) by character codes, then the message against the pattern table
 * (sshd-patterns.ts), dispatched on its first character and literal prefix so most
 * lines never reach a regex.
 *
 * The matcher works on a range of a larger string (`matchLine(text, start, end)`), so
 * replay can run over a whole decoded chunk without slicing a string per line.
 */
import type { AuthFailure } from './auth-failure.js';
import { sshdPatterns, type SshdPattern } from './sshd-patterns.js';
import { normalizeRemoteAddress } from './remote-address.js';
import { SyslogYear, TimestampParser, type ParsedTimestamp } from './log-timestamp.js';

/** Programs whose lines are sshd's: OpenSSH ≥ 9.8 logs per-connection messages as sshd-session, 10 adds sshd-auth. */
export const sshdPrograms: readonly string[] = ['sshd', 'sshd-session', 'sshd-auth'];

export interface MatcherOptions {
  /** clock for the year of syslog timestamps (which carry none); default Date.now */
  now?: () => number;
  patterns?: readonly SshdPattern[];
}

const buildDispatch = (patterns: readonly SshdPattern[]): (SshdPattern[] | undefined)[] => {
  const table: (SshdPattern[] | undefined)[] = [];
  for (const p of patterns) {
    const c = p.prefix.charCodeAt(0);
    (table[c] ??= []).push(p);
  }
  return table;
};

/** A reusable matcher (it caches the last timestamp); one per stream being parsed. */
export class AuthLineMatcher {
  private readonly dispatch: (SshdPattern[] | undefined)[];
  private readonly timestamps: TimestampParser;
  private readonly ts: ParsedTimestamp = { ms: NaN, end: 0 };
  /** program and pid of the last line whose header was sshd's */
  private program = '';
  private pid = 0;

  constructor(options: MatcherOptions = {}) {
    this.dispatch = buildDispatch(options.patterns ?? sshdPatterns);
    this.timestamps = new TimestampParser(new SyslogYear(options.now));
  }

  /**
   * Parses the line `text[start, end)` (`end` at its newline or the text's end).
   * Returns null for any line that is not an sshd failure.
   */
  matchLine(text: string, start: number, end: number): AuthFailure | null {
    const msgStart = this.header(text, start, end);
    if (msgStart < 0) return null;
    const failure = this.matchMessage(text, msgStart, end, this.program, this.pid);
    if (failure) {
      this.timestamps.parse(text, start, this.ts);
      if (!Number.isNaN(this.ts.ms)) failure.ts = this.ts.ms;
    }
    return failure;
  }

  /**
   * Matches an sshd message (no header) at `text[start, end)` — the journal's MESSAGE.
   */
  matchMessage(text: string, start: number, end: number, program: string, pid: number | undefined): AuthFailure | null {
    const candidates = this.dispatch[text.charCodeAt(start)];
    if (candidates === undefined) return null;
    for (let i = 0; i < candidates.length; i++) {
      const p = candidates[i]!;
      if (!text.startsWith(p.prefix, start)) continue;
      p.regex.lastIndex = start;
      const m = p.regex.exec(text);
      if (m === null || m.index + m[0].length > end) continue;
      const g = m.groups!;
      const ip = normalizeRemoteAddress(g.ip!);
      if (ip === null) return null;
      const failure: AuthFailure = { ip, kind: p.kind, program, pattern: p.id };
      if (g.user !== undefined) failure.user = g.user;
      if (pid !== undefined && pid > 0) failure.pid = pid;
      return failure;
    }
    return null;
  }

  /**
   * Finds `sshd[pid]: ` after the timestamp and host; returns the message start or -1.
   * Sets this.program / this.pid.
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
