/**
 * Bytes in, whole lines out: a line written in two chunks (or cut by a read) comes out
 * once, whole. Works on bytes, so a UTF-8 character split across reads is never
 * mangled. A trailing `\r` is dropped.
 */
export class LineSplitter {
  private pending: Buffer = Buffer.alloc(0);

  /** Bytes of an unfinished line held back (the follower's cursor excludes them). */
  get pendingBytes(): number {
    return this.pending.length;
  }

  /** Splits `chunk` (after what was held back); calls `onLine` per complete line. */
  push(chunk: Buffer, onLine: (line: string) => void): void {
    let data = chunk;
    if (this.pending.length > 0) {
      data = Buffer.concat([this.pending, chunk]);
      this.pending = Buffer.alloc(0);
    }
    let start = 0;
    for (let nl = data.indexOf(10, start); nl !== -1; nl = data.indexOf(10, start)) {
      const end = nl > start && data[nl - 1] === 13 ? nl - 1 : nl;
      onLine(data.toString('utf8', start, end));
      start = nl + 1;
    }
    if (start < data.length) this.pending = Buffer.from(data.subarray(start));
  }

  /** Emits what was held back as a last line (its file will get no more bytes) and forgets it. */
  flush(onLine: (line: string) => void): void {
    if (this.pending.length > 0) {
      const line = this.pending.toString('utf8').replace(/\r$/, '');
      this.pending = Buffer.alloc(0);
      onLine(line);
    }
  }

  /** Drops what was held back (the file was truncated under it). */
  reset(): void {
    this.pending = Buffer.alloc(0);
  }
}
