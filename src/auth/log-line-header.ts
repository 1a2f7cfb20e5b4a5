/**
 * The syslog header of a log line, found by character codes (this runs for every line
 * of a replay): `[timestamp] [host] program[pid]: [decoration] message`.
 *
 * - timestamp (optional): syslog `Nov 21 10:00:01`, `Nov  1 …`, `Nov 1 …`; ISO 8601
 *   (`2026-11-21T10:00:01.123+00:00`, also with a space or slashes: `2026/11/21 10:00:01`);
 *   TAI64N (`@4000000063…`); RFC 5424 (`<38>1 TS HOST APP PROCID MSGID SD MSG`);
 *   or none (journal text);
 * - host (optional), then the program tag: `prog[pid]:`, `prog:`, `[prog]:`, `[prog]`;
 * - decorations removed: Solaris `[ID 800047 auth.info] `, a kernel time
 *   (`kernel:[ 970.69]: `), rsyslog's `message repeated N times: [ … ]` (→ `repeat`).
 *
 * Service-agnostic: which programs count is the filter's business.
 */

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isUpper = (c: number): boolean => c >= 65 && c <= 90;
const isHex = (c: number): boolean => isDigit(c) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);

/** Reusable; the last parse's result is in the fields (no allocation per line). */
export class LineHeaderParser {
  /** start of the timestamp, -1 when the line has none */
  tsStart = -1;
  /** host name range (hostStart === hostEnd: none) */
  hostStart = 0;
  hostEnd = 0;
  /** program name range */
  progStart = 0;
  progEnd = 0;
  /** end of the tag (after `]` of `[pid]`): the connection key is text[hostStart, tagEnd) */
  tagEnd = 0;
  /** pid written in the tag, 0 when none */
  pid = 0;
  /** message range */
  msgStart = 0;
  msgEnd = 0;
  /** `message repeated N times`: N, else 1 */
  repeat = 1;

  /** Parses `s[start, end)`. False when the line has no recognisable program tag. */
  parse(s: string, start: number, end: number): boolean {
    let p = start;
    this.tsStart = -1;
    this.repeat = 1;
    this.pid = 0;
    let c = s.charCodeAt(p);
    if (c === 60 /* < */) return this.rfc5424(s, p, end);
    // syslog timestamp: "Mmm " then " d" / "dd" / "d " then "hh:mm:ss"
    if (isUpper(c) && s.charCodeAt(p + 3) === 32) {
      const d1 = s.charCodeAt(p + 4);
      const d2 = s.charCodeAt(p + 5);
      let t = -1;
      if (d1 === 32 && isDigit(d2)) t = p + 7;
      else if (isDigit(d1) && isDigit(d2)) t = p + 7;
      else if (isDigit(d1) && d2 === 32) t = p + 6;
      if (t > 0 && s.charCodeAt(t + 2) === 58 && s.charCodeAt(t + 5) === 58) {
        this.tsStart = p;
        p = s.indexOf(' ', t + 8);
        if (p < 0 || p >= end) return false;
        p++;
      }
    } else {
      const after = this.numericTimestamp(s, p);
      if (after > 0) {
        this.tsStart = p;
        p = s.indexOf(' ', after);
        if (p < 0 || p >= end) return false;
        p++;
      }
    }
    // first token: the tag, or the host then the tag
    let sp = s.indexOf(' ', p);
    if (sp < 0 || sp >= end) return false;
    this.hostStart = this.hostEnd = p;
    if (!this.tag(s, p, sp)) {
      this.hostEnd = sp;
      p = sp + 1;
      sp = s.indexOf(' ', p);
      if (sp < 0 || sp >= end || !this.tag(s, p, sp)) return false;
    }
    this.msgStart = sp + 1;
    this.msgEnd = end;
    this.decorations(s);
    return this.msgStart < this.msgEnd;
  }

  /**
   * Parses a line without a program tag (`format: plain`, e.g. nginx's error log):
   * `[timestamp] message`. No host, no program, no pid, no decorations.
   */
  parsePlain(s: string, start: number, end: number): boolean {
    this.tsStart = -1;
    this.repeat = 1;
    this.pid = 0;
    let p = start;
    const c = s.charCodeAt(p);
    if (isUpper(c) && s.charCodeAt(p + 3) === 32) {
      const t = s.charCodeAt(p + 4) === 32 || s.charCodeAt(p + 5) !== 32 ? p + 7 : p + 6;
      if (s.charCodeAt(t + 2) === 58 && s.charCodeAt(t + 5) === 58) {
        this.tsStart = p;
        p = t + 8;
      }
    } else {
      const after = this.numericTimestamp(s, p);
      if (after > 0) {
        this.tsStart = p;
        p = s.indexOf(' ', after);
        if (p < 0 || p >= end) p = end;
      }
    }
    while (p < end && s.charCodeAt(p) === 32) p++;
    this.hostStart = this.hostEnd = this.progStart = this.progEnd = this.tagEnd = start;
    this.msgStart = p;
    this.msgEnd = end;
    return p < end;
  }

  /**
   * A timestamp that starts with a digit or `@` at p: ISO 8601 `2026-11-21T10:00:01…`,
   * the same with a space (`2026-11-21 10:00:01`) or slashes (`2026/11/21 10:00:01`,
   * nginx), or TAI64N (`@4000000063…`, daemontools/s6). Returns where to look for the
   * space after it (0: no timestamp here).
   */
  private numericTimestamp(s: string, p: number): number {
    const c = s.charCodeAt(p);
    if (c === 64 /* @ */) {
      for (let i = p + 1; i < p + 25; i++) if (!isHex(s.charCodeAt(i))) return 0;
      return s.charCodeAt(p + 25) === 32 ? p + 25 : 0;
    }
    if (!isDigit(c)) return 0;
    const sep = s.charCodeAt(p + 4);
    if ((sep !== 45 && sep !== 47) || s.charCodeAt(p + 7) !== sep) return 0;
    const t = s.charCodeAt(p + 10);
    if (t === 84 /* T */) return p + 11;
    if (t === 32 && s.charCodeAt(p + 13) === 58 && s.charCodeAt(p + 16) === 58) return p + 11;
    return 0;
  }

  /** `[prog]`, `[prog]:`, `prog:`, `prog[pid]:` in s[p, e). */
  private tag(s: string, p: number, e: number): boolean {
    const last = s.charCodeAt(e - 1);
    if (s.charCodeAt(p) === 91 /* [ */) {
      const close = last === 58 ? e - 2 : e - 1;
      if (s.charCodeAt(close) !== 93 || close <= p + 1) return false;
      this.progStart = p + 1;
      this.progEnd = close;
      this.tagEnd = close + 1;
      return true;
    }
    if (last !== 58 /* : */) return false;
    if (s.charCodeAt(e - 2) === 93 /* ] */) {
      const open = s.lastIndexOf('[', e - 2);
      if (open <= p) return false;
      let pid = 0;
      for (let i = open + 1; i < e - 2; i++) {
        const d = s.charCodeAt(i);
        if (!isDigit(d)) return false;
        pid = pid * 10 + (d - 48);
      }
      if (e - 2 === open + 1) return false;
      this.pid = pid;
      this.progStart = p;
      this.progEnd = open;
      this.tagEnd = e - 1;
      return true;
    }
    if (e - 1 <= p) return false;
    this.progStart = p;
    this.progEnd = e - 1;
    this.tagEnd = e - 1;
    return true;
  }

  /** RFC 5424: `<PRI>1 TS HOST APP PROCID MSGID SD MSG` (RFC 3164 with a PRI: PRI skipped). */
  private rfc5424(s: string, p: number, end: number): boolean {
    const gt = s.indexOf('>', p);
    if (gt < 0 || gt > p + 4) return false;
    if (!(s.charCodeAt(gt + 1) === 49 && s.charCodeAt(gt + 2) === 32)) return this.parse(s, gt + 1, end);
    const fields: number[] = [];
    let q = gt + 3;
    for (let i = 0; i < 5; i++) {
      const sp = s.indexOf(' ', q);
      if (sp < 0 || sp >= end) return false;
      fields.push(q, sp);
      q = sp + 1;
    }
    this.tsStart = s.charCodeAt(fields[0]!) === 45 ? -1 : fields[0]!;
    this.hostStart = fields[2]!;
    this.hostEnd = fields[3]!;
    this.progStart = fields[4]!;
    this.progEnd = fields[5]!;
    const pidText = s.slice(fields[6]!, fields[7]!);
    this.pid = /^\d+$/.test(pidText) ? Number(pidText) : 0;
    this.tagEnd = fields[7]!;
    // structured data: "-" or [..][..] (quoted values may hold "]")
    if (s.charCodeAt(q) === 45) q++;
    else
      while (s.charCodeAt(q) === 91) {
        let inQuote = false;
        for (q++; q < end; q++) {
          const ch = s.charCodeAt(q);
          if (ch === 92) q++;
          else if (ch === 34) inQuote = !inQuote;
          else if (ch === 93 && !inQuote) break;
        }
        q++;
      }
    if (s.charCodeAt(q) !== 32) return false;
    this.msgStart = q + 1;
    this.msgEnd = end;
    this.decorations(s);
    return this.msgStart < this.msgEnd;
  }

  private decorations(s: string): void {
    let p = this.msgStart;
    // (each looked for only when the message starts with its first character: this runs per line)
    // Solaris: "[ID 800047 auth.info] "
    if (s.charCodeAt(p) === 91 /* [ */ && s.startsWith('[ID ', p)) {
      const close = s.indexOf('] ', p);
      if (close > 0 && close < this.msgEnd) p = close + 2;
    }
    // journal text with a kernel time: "kernel:[  970.699396]: " or "kernel: [  970.699397] "
    if (s.charCodeAt(p) === 107 /* k */ && s.startsWith('kernel:', p)) {
      let q = p + 7;
      if (s.charCodeAt(q) === 32) q++;
      if (s.charCodeAt(q) === 91) {
        const close = s.indexOf(']', q);
        if (close > 0 && close < this.msgEnd) {
          q = close + 1;
          if (s.charCodeAt(q) === 58) q++;
          if (s.charCodeAt(q) === 32) p = q + 1;
        }
      }
    }
    // rsyslog: "message repeated 3 times: [ Failed password ...]"
    if (s.charCodeAt(p) === 109 /* m */ && s.startsWith('message repeated ', p)) {
      let q = p + 17;
      let n = 0;
      while (isDigit(s.charCodeAt(q))) n = n * 10 + (s.charCodeAt(q++) - 48);
      let e = this.msgEnd;
      while (e > q && s.charCodeAt(e - 1) === 32) e--;
      if (n > 0 && s.startsWith(' times: [', q) && s.charCodeAt(e - 1) === 93) {
        q += 9;
        if (s.charCodeAt(q) === 32) q++;
        p = q;
        this.msgEnd = e - 1;
        this.repeat = n;
      }
    }
    this.msgStart = p;
  }
}
