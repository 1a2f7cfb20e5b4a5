/**
 * Bytes in, whole lines out: a line written in two chunks (or cut by a read) comes out
 * once, whole. Works on bytes, so a UTF-8 character split across reads is never
 * mangled. Lines end at `\n` only — never at a lone `\r` or U+2028, which sit inside a
 * line as its text (a trailing `\r`, as in CRLF, is dropped).
 *
 * A line longer than `maxLineBytes` is skipped, not held: its bytes are counted and
 * dropped as they come, and `overlong` reports it (with its length) once its newline
 * arrives. So a 30 MB line without newline costs a few reads, not the whole line in
 * memory nor a quadratic re-concatenation per read.
 *
 * Every line (and every skipped one) is reported with `end`, the file offset just after
 * its newline: the follower's cursor moves in whole lines.
 */

/** Longer than any sshd line syslog writes (rsyslog's default maximum is 8 KiB, journald's 48 KiB). */
export const DEFAULT_MAX_LINE_BYTES = 64 * 1024;

export interface LineSink {
  line(text: string, end: number): void;
  /** a line of `bytes` bytes (without its newline) was skipped, unread */
  overlong(bytes: number, end: number): void;
}

export class LineSplitter {
  /** pieces of the unfinished line held back */
  private pending: Buffer[] = [];
  private pendingLength = 0;
  /** bytes of an overlong unfinished line skipped so far; -1 while not skipping */
  private skipped = -1;
  /** file offset of the next byte pushed */
  private position = 0;

  constructor(private readonly maxLineBytes = DEFAULT_MAX_LINE_BYTES) {}

  /** Splits `chunk` (after what was held back). `chunk` may be reused by the caller afterwards. */
  push(chunk: Buffer, sink: LineSink): void {
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
      const end = this.position + nl + 1;
      if (this.skipped >= 0) {
        const bytes = this.skipped + nl - start;
        this.skipped = -1;
        sink.overlong(bytes, end);
      } else if (this.pendingLength + nl - start > this.maxLineBytes) {
        const bytes = this.pendingLength + nl - start;
        this.drop();
        sink.overlong(bytes, end);
      } else if (this.pendingLength > 0) {
        this.pending.push(chunk.subarray(start, nl));
        const whole = Buffer.concat(this.pending, this.pendingLength + nl - start);
        this.drop();
        sink.line(decode(whole, 0, whole.length), end);
      } else {
        sink.line(decode(chunk, start, nl), end);
      }
      start = nl + 1;
    }
    const rest = chunk.length - start;
    if (rest > 0) {
      if (this.skipped >= 0) this.skipped += rest;
      else if (this.pendingLength + rest > this.maxLineBytes) {
        this.skipped = this.pendingLength + rest;
        this.drop();
      } else {
        this.pending.push(Buffer.from(chunk.subarray(start)));
        this.pendingLength += rest;
      }
    }
    this.position += chunk.length;
  }

  /** Emits what was held back as a last line (its file will get no more bytes) and forgets it. */
  flush(sink: LineSink): void {
    if (this.skipped >= 0) {
      const bytes = this.skipped;
      this.skipped = -1;
      sink.overlong(bytes, this.position);
    } else if (this.pendingLength > 0) {
      const whole = Buffer.concat(this.pending, this.pendingLength);
      this.drop();
      sink.line(decode(whole, 0, whole.length), this.position);
    }
  }

  /** Drops what was held back and continues at file offset `position` (a new file, or truncation). */
  reset(position: number): void {
    this.drop();
    this.skipped = -1;
    this.position = position;
  }

  private drop(): void {
    this.pending = [];
    this.pendingLength = 0;
  }
}

/** The text of `buf[start, end)`, without a trailing `\r`. */
const decode = (buf: Buffer, start: number, end: number): string =>
  buf.toString('utf8', start, end > start && buf[end - 1] === 13 ? end - 1 : end);
