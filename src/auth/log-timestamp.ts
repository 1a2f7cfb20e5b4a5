/**
 * Timestamps at the start of auth log lines, parsed by character codes (this runs for
 * every matching line of a replay, so no Date.parse on substrings):
 *  - syslog (RFC 3164): `Nov 21 10:00:01` / `Nov  1 10:00:01` / `Nov 1 10:00:01` — local
 *    time, no year;
 *  - ISO-8601 (rsyslog high precision, journalctl -o short-iso): `2026-11-21T10:00:01`,
 *    optional `.fraction`, `Z` / `+00:00` / `+0000` or no zone (local); also with a space
 *    or slashes (`2026/11/21 10:00:01`: nginx's error log), local time;
 *  - TAI64N (daemontools, s6: `@4000000063…` + nanoseconds), UTC.
 */
import { asyncScheduler } from 'rxjs';


const months: Record<string, number> = {
  Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11,
};

export interface ParsedTimestamp {
  /** unix ms, NaN when unparseable */
  ms: number;
  /** index just after the timestamp (the space before the host name) */
  end: number;
}

const digit = (s: string, i: number): number => {
  const c = s.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : NaN;
};
const num2 = (s: string, i: number): number => digit(s, i) * 10 + digit(s, i + 1);

/**
 * The year a syslog timestamp (which has none) belongs to: the reference year, unless
 * that puts it more than a day in the future of `now` (a December line read in January).
 */
export class SyslogYear {
  constructor(private readonly now: () => number = () => asyncScheduler.now()) {}
  resolve(month: number, day: number, h: number, mi: number, sec: number): number {
    const now = this.now();
    const year = new Date(now).getFullYear();
    const t = new Date(year, month, day, h, mi, sec).getTime();
    return t > now + 86_400_000 ? new Date(year - 1, month, day, h, mi, sec).getTime() : t;
  }
}

/**
 * Parses the timestamp that starts at `start` in `s`. Caches the last second it
 * resolved: consecutive lines mostly share it.
 */
export class TimestampParser {
  private lastKey = '';
  private lastZone = '';
  private lastMs = NaN;
  constructor(private readonly year: SyslogYear = new SyslogYear()) {}

  parse(s: string, start: number, out: ParsedTimestamp): void {
    const c = s.charCodeAt(start);
    if (c >= 48 && c <= 57) this.iso(s, start, out);
    else if (c === 64) tai64n(s, start, out);
    else this.syslog(s, start, out);
  }

  private syslog(s: string, i: number, out: ParsedTimestamp): void {
    // "Mmm dd hh:mm:ss" (day space-padded) or "Mmm d hh:mm:ss" (not padded)
    const t = s.charCodeAt(i + 5) === 32 ? i + 6 : i + 7;
    out.end = t + 8;
    if (s.charCodeAt(i + 3) !== 32 || s.charCodeAt(t - 1) !== 32 || s.charCodeAt(t + 2) !== 58 || s.charCodeAt(t + 5) !== 58) {
      out.ms = NaN;
      out.end = s.indexOf(' ', i);
      return;
    }
    const keyLen = t + 8 - i;
    if (this.lastKey.length === keyLen && s.startsWith(this.lastKey, i)) {
      out.ms = this.lastMs;
      return;
    }
    const key = s.slice(i, i + keyLen);
    const month = months[key.slice(0, 3)];
    const day = t === i + 6 ? digit(s, i + 4) : s.charCodeAt(i + 4) === 32 ? digit(s, i + 5) : num2(s, i + 4);
    const h = num2(s, t);
    const mi = num2(s, t + 3);
    const sec = num2(s, t + 6);
    const ms = month === undefined || Number.isNaN(day + h + mi + sec) ? NaN : this.year.resolve(month, day, h, mi, sec);
    this.lastKey = key;
    this.lastMs = ms;
    out.ms = ms;
  }

  private iso(s: string, i: number, out: ParsedTimestamp): void {
    // `2026-11-21T10:00:01`, or with a space (`2026-11-21 10:00:01`) or slashes (`2026/11/21 …`, nginx)
    const sep = s.charCodeAt(i + 10);
    let end = s.indexOf(' ', sep === 32 ? i + 11 : i);
    if (end === -1) end = s.length;
    out.end = end;
    const dash = s.charCodeAt(i + 4);
    if (end - i < 19 || (dash !== 45 && dash !== 47) || (sep !== 84 && sep !== 32)) {
      out.ms = NaN;
      return;
    }
    // zone: after the seconds and an optional fraction
    let j = i + 19;
    let frac = 0;
    if (s.charCodeAt(j) === 46) {
      let scale = 100;
      j++;
      while (j < end) {
        const d = digit(s, j);
        if (Number.isNaN(d)) break;
        frac += d * scale;
        scale /= 10;
        j++;
      }
    }
    const zoneStart = j;
    let base: number;
    if (
      this.lastKey.length === 19 &&
      s.startsWith(this.lastKey, i) &&
      end - zoneStart === this.lastZone.length &&
      s.startsWith(this.lastZone, zoneStart)
    ) {
      base = this.lastMs;
    } else {
      const y = digit(s, i) * 1000 + digit(s, i + 1) * 100 + num2(s, i + 2);
      const mo = num2(s, i + 5) - 1;
      const d = num2(s, i + 8);
      const h = num2(s, i + 11);
      const mi = num2(s, i + 14);
      const sec = num2(s, i + 17);
      if (zoneStart === end) base = new Date(y, mo, d, h, mi, sec).getTime();
      else {
        const z = s.charCodeAt(zoneStart);
        let offsetMin = 0;
        if (z === 43 || z === 45) {
          const colon = s.charCodeAt(zoneStart + 3) === 58 ? 1 : 0;
          offsetMin = (num2(s, zoneStart + 1) * 60 + num2(s, zoneStart + 3 + colon)) * (z === 45 ? -1 : 1);
        } else if (z !== 90) offsetMin = NaN;
        base = Date.UTC(y, mo, d, h, mi, sec) - offsetMin * 60_000;
      }
      this.lastKey = s.slice(i, i + 19);
      this.lastZone = s.slice(zoneStart, end);
      this.lastMs = base;
    }
    out.ms = base + Math.floor(frac);
  }
}

/**
 * TAI64N: `@` + 16 hex digits of 2^62 + TAI seconds + 8 hex digits of nanoseconds.
 * TAI is taken as UTC + 10 s, as daemontools' tai64nlocal does (leap seconds ignored).
 */
const tai64n = (s: string, i: number, out: ParsedTimestamp): void => {
  out.end = i + 25;
  // the label's top digit is 4 (2^62); the 15 below it hold the seconds (exact below 2^53)
  const secs = s.charCodeAt(i + 1) === 52 ? parseInt(s.slice(i + 2, i + 17), 16) : NaN;
  const nanos = parseInt(s.slice(i + 17, i + 25), 16);
  out.ms = (secs - 10) * 1000 + Math.floor(nanos / 1e6);
};
