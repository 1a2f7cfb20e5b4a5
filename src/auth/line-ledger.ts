/**
 * Which lines of a followed file are settled, so the saved cursor never passes a line
 * whose consequences are not yet durable (issue 7: a kill -9 during an attack burst
 * must not lose attackers).
 *
 * Each line handed out carries `hold()`. Whoever still needs the line after the
 * synchronous hand-off — the brute-force detector while the failure is inside its
 * window and its address is not banned — takes a hold and releases it later. A line is
 * settled when every hold on it is released; the cursor is the end of the longest run
 * of settled lines from the start (`settledEnd`). After a crash the agent resumes
 * there and reads the unsure tail again, rebuilding the window counts from the lines'
 * own timestamps.
 *
 * Memory: only lines still held, and the settled runs between them (merged into one
 * entry each), are kept.
 */

/** Ends a hold; calling it again does nothing. */
export type Release = () => void;

/** A line as the follower hands it out. */
export interface FollowedLine {
  /** the line, without its newline */
  readonly text: string;
  /** Keeps the saved cursor from passing this line until the returned release is called. */
  hold(): Release;
}

interface Entry {
  /** file offset just after the line's newline */
  end: number;
  holds: number;
}

export class LineLedger {
  /** unsettled lines, and settled runs behind them, in file order; `head` is the first live index */
  private entries: Entry[] = [];
  private head = 0;
  private settled: number;

  /**
   * @param start the file offset the ledger begins at (where reading starts)
   * @param onAdvance called whenever `settledEnd` moves forward after a hand-off
   */
  constructor(start: number, private readonly onAdvance: () => void) {
    this.settled = start;
  }

  /** Where the cursor may be saved: every line before it is settled. */
  get settledEnd(): number {
    return this.settled;
  }

  /** Lines (or settled runs) held in memory. */
  get size(): number {
    return this.entries.length - this.head;
  }

  /**
   * Hands out the line ending at `end` to `deliver`, holding it during the call: a line
   * nobody held by the time `deliver` returns is settled at once.
   */
  handOut(text: string, end: number, deliver: (line: FollowedLine) => void): void {
    const entry: Entry = { end, holds: 1 };
    this.entries.push(entry);
    const line: FollowedLine = { text, hold: () => this.hold(entry) };
    try {
      deliver(line);
    } finally {
      this.release(entry);
    }
  }

  /** A line that is settled the moment it is read (one skipped unread). */
  pass(end: number): void {
    this.entries.push({ end, holds: 0 });
    this.advance();
  }

  private hold(entry: Entry): Release {
    entry.holds++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.release(entry);
    };
  }

  private release(entry: Entry): void {
    if (--entry.holds > 0) return;
    const last = this.entries.length - 1;
    if (this.entries[last] === entry && last > this.head && this.entries[last - 1]!.holds === 0) {
      // settled behind a settled run: extend the run instead of keeping one entry per line
      this.entries.pop();
      this.entries[last - 1]!.end = entry.end;
    }
    if (this.entries[this.head] === entry || this.entries[this.head]?.holds === 0) this.advance();
  }

  private advance(): void {
    const before = this.settled;
    while (this.head < this.entries.length && this.entries[this.head]!.holds === 0) {
      this.settled = this.entries[this.head]!.end;
      this.head++;
    }
    if (this.head === this.entries.length) {
      this.entries = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
    if (this.settled !== before) this.onAdvance();
  }
}
