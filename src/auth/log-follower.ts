/**
 * Follows a log file like `tail -F`, as an Observable of lines, event-driven:
 *
 * - starts at the END of the file (a 2 GB auth.log is never re-read at start), unless
 *   a saved cursor names the same inode and an offset the file still reaches — then it
 *   resumes there, so lines written while the agent was down are not lost; when the
 *   cursor's file was renamed away since (rotated once: it is a sibling such as
 *   `auth.log.1`, not compressed), that file is finished from the cursor, then the new
 *   one read from its start;
 * - rename rotation (logrotate's default): the old file is read to its end, then the
 *   new one from its start;
 * - copytruncate: the file shrinks below the offset, or its first bytes change (it was
 *   truncated and has grown again before we looked) → read again from 0;
 * - a missing file is waited for and read from its start when it appears (it is new);
 * - a line written in two chunks is emitted once, whole; a line longer than
 *   `maxLineBytes` is skipped unread and reported (LineSplitter).
 *
 * The saved cursor only passes settled lines (LineLedger): a consumer that still needs
 * a line after it was handed out (the brute-force detector, until the failure has left
 * its window or its address's ban is recorded) holds it, so a restart after a crash
 * reads the unsure tail again instead of losing it. At a rename rotation the cursor
 * stays on the old file while lines of it are held (a restart finds it by its inode).
 * A copytruncate copies the file to a new inode, so lines held at that moment are not
 * re-read after a crash.
 *
 * Changes are seen through fs.watch on the DIRECTORY (inotify: a watch on the file
 * would follow the renamed inode and miss the new file), within milliseconds; a slow
 * poll (default 1 s) covers filesystems without inotify (NFS, some overlays) and
 * missed events. Reads are serialised: one check at a time, re-run if events arrived
 * meanwhile.
 */
import { asyncScheduler, Observable } from 'rxjs';
import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import { watch, type FSWatcher, type Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { LineSplitter, type LineSink } from './line-splitter.js';
import { LineLedger, type FollowedLine } from './line-ledger.js';
import type { LogCursorStore } from './log-cursor-repository.js';
import { createLogger, type Logger } from '../log/logger.js';

export type FollowEvent =
  | { type: 'opened'; path: string; inode: number; offset: number; resumed: boolean }
  | { type: 'rotated'; path: string; inode: number }
  | { type: 'truncated'; path: string }
  | { type: 'missing'; path: string }
  /** a line longer than `maxLineBytes` was skipped unread; `end` is the offset after it */
  | { type: 'overlong'; path: string; bytes: number; end: number };

export interface FollowOptions {
  /** where the cursor (inode, offset) is kept across restarts */
  cursors?: LogCursorStore;
  /** the slow poll for filesystems without inotify (default 1000 ms) */
  pollIntervalMs?: number;
  /** false: poll only (filesystems without inotify; tests of the fallback). Default true */
  watch?: boolean;
  /** at most one cursor write per this many ms (default 1000) */
  cursorSaveIntervalMs?: number;
  /** read size (default 64 KiB) */
  chunkBytes?: number;
  /** longer lines are skipped unread (default DEFAULT_MAX_LINE_BYTES, 64 KiB) */
  maxLineBytes?: number;
  logger?: Logger;
  now?: () => number;
  /** lifecycle notifications (rotation, truncation...), for logs and tests */
  onEvent?: (event: FollowEvent) => void;
}

/** Bytes compared at the file's start to detect a copytruncate that grew back past our offset. */
const HEAD_BYTES = 64;

const statOrNull = async (path: string): Promise<Stats | null> => {
  try {
    return await stat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return null;
    throw err;
  }
};

/**
 * Follows `path`; emits each complete line appended to it (without its newline), with
 * `hold()` for consumers that must keep the cursor from passing it.
 * Unsubscribing closes the watcher, the timer and the file, and saves the cursor.
 */
export const followLog = (path: string, options: FollowOptions = {}): Observable<FollowedLine> =>
  new Observable<FollowedLine>((subscriber) => {
    const follower = new Follower(path, options, (line) => subscriber.next(line));
    follower.start();
    return () => follower.stop();
  });

class Follower {
  private fh: FileHandle | null = null;
  private inode = 0;
  /** next byte to read */
  private offset = 0;
  private head: Buffer = Buffer.alloc(0);
  private readonly splitter: LineSplitter;
  /** the settled lines of the current file (a new one per file and per truncation) */
  private ledger: LineLedger = this.newLedger(0);
  /** the file before a rename rotation, while lines of it are held: the cursor stays on it */
  private retiring: { inode: number; ledger: LineLedger } | null = null;
  private readonly sink: LineSink;
  private watcher: FSWatcher | null = null;
  private poll: NodeJS.Timeout | null = null;
  private running = false;
  private again = false;
  private stopped = false;
  private cursorDirty = false;
  private lastCursorSave = 0;
  private saveTimer: NodeJS.Timeout | null = null;
  private warned = new Set<string>();
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly buf: Buffer;
  private readonly headBuf = Buffer.alloc(HEAD_BYTES);

  constructor(
    private readonly path: string,
    private readonly opts: FollowOptions,
    private readonly emit: (line: FollowedLine) => void,
  ) {
    this.log = opts.logger ?? createLogger('auth.follow');
    this.now = opts.now ?? (() => asyncScheduler.now());
    this.buf = Buffer.allocUnsafe(opts.chunkBytes ?? 64 * 1024);
    this.splitter = new LineSplitter(opts.maxLineBytes);
    this.sink = {
      line: (text, end) => this.ledger.handOut(text, end, this.emit),
      overlong: (bytes, end) => {
        this.ledger.pass(end);
        this.opts.onEvent?.({ type: 'overlong', path: this.path, bytes, end });
      },
    };
  }

  /** A ledger starting at `offset`; only the current one may move the cursor. */
  private newLedger(offset: number): LineLedger {
    const ledger: LineLedger = new LineLedger(offset, () => {
      if (ledger === this.retiring?.ledger) {
        if (ledger.size === 0) this.retiring = null; // all settled: the cursor moves to the current file
      } else if (ledger !== this.ledger) return;
      this.cursorDirty = true;
      this.scheduleCursorSave();
    });
    return ledger;
  }

  start(): void {
    const name = basename(this.path);
    if (this.opts.watch !== false) {
      try {
        this.watcher = watch(dirname(this.path), { persistent: true }, (_event, filename) => {
          if (filename === null || filename === name) this.check();
        });
        this.watcher.on('error', (err) => this.warnOnce('watch', `cannot watch ${dirname(this.path)} (${err.message}); polling only`));
      } catch (err) {
        this.warnOnce('watch', `cannot watch ${dirname(this.path)} (${(err as Error).message}); polling only`);
      }
    }
    this.poll = setInterval(() => this.check(), this.opts.pollIntervalMs ?? 1000);
    void this.run(() => this.openAtStart());
  }

  stop(): void {
    this.stopped = true;
    this.watcher?.close();
    if (this.poll) clearInterval(this.poll);
    if (this.saveTimer) clearTimeout(this.saveTimer);
    const fh = this.fh;
    this.fh = null;
    void this.saveCursor().finally(() => fh?.close().catch(() => undefined));
  }

  /** Schedules a look at the file (coalesced while one runs). */
  private check(): void {
    void this.run(() => this.step());
  }

  private async run(task: () => Promise<void>): Promise<void> {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    try {
      await task();
      while (this.again && !this.stopped) {
        this.again = false;
        await this.step();
      }
    } catch (err) {
      this.warnOnce(`read:${(err as NodeJS.ErrnoException).code}`, `cannot read ${this.path}: ${(err as Error).message}`);
    } finally {
      this.running = false;
    }
  }

  /** At start: the end of the file, or the saved cursor when it still applies. */
  private async openAtStart(): Promise<void> {
    const st = await statOrNull(this.path);
    if (!st) {
      this.opts.onEvent?.({ type: 'missing', path: this.path });
      return;
    }
    const cursor = await this.opts.cursors?.load(this.path).catch((err) => {
      this.warnOnce('cursor-load', `cannot load the saved position of ${this.path}: ${(err as Error).message}`);
      return undefined;
    });
    const resumed = cursor !== undefined && cursor.inode === st.ino && st.size >= cursor.offset;
    const rotated = cursor !== undefined && !resumed && cursor.inode !== st.ino ? await this.findRotated(cursor.inode, cursor.offset) : null;
    // a rotated file found: opened at the cursor; step() then sees the name moved on,
    // finishes it and takes the new file from its start
    if (rotated) await this.openFile(rotated.st, rotated.offset, true, rotated.path);
    else await this.openFile(st, resumed ? cursor.offset : st.size, resumed);
    await this.step();
  }

  /** The sibling (`auth.log.1`, `auth.log-20261130`; not compressed) that is the cursor's file, renamed. */
  private async findRotated(inode: number, offset: number): Promise<{ path: string; st: Stats; offset: number } | null> {
    const dir = dirname(this.path);
    const prefix = basename(this.path) + '.';
    const dash = basename(this.path) + '-';
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      return null;
    }
    for (const name of names) {
      if (!(name.startsWith(prefix) || name.startsWith(dash)) || /\.(gz|xz|bz2|zst|lz4)$/.test(name)) continue;
      const st = await statOrNull(join(dir, name));
      if (st && st.ino === inode && st.isFile() && st.size >= offset) return { path: join(dir, name), st, offset };
    }
    return null;
  }

  private async openFile(st: Stats, offset: number, resumed: boolean, path = this.path): Promise<void> {
    const fh = await open(path, 'r');
    // Stopped while it was opening (a reload just after start): keeping it would leak it.
    if (this.stopped) {
      await fh.close().catch(() => undefined);
      return;
    }
    this.fh = fh;
    // the inode of what we opened (the name may have moved on between stat and open)
    const opened = await this.fh.stat();
    if (opened.ino !== st.ino) offset = 0;
    this.inode = opened.ino;
    this.offset = offset;
    this.splitter.reset(offset);
    this.ledger = this.newLedger(offset);
    await this.learnHead();
    this.cursorDirty = true;
    this.opts.onEvent?.({ type: 'opened', path, inode: this.inode, offset, resumed });
  }

  private async learnHead(): Promise<void> {
    if (!this.fh) return;
    const { bytesRead } = await this.fh.read(this.buf, 0, HEAD_BYTES, 0);
    this.head = Buffer.from(this.buf.subarray(0, bytesRead));
  }

  /** True when the file's first bytes are no longer those we saw: it was truncated and rewritten. */
  private async headChanged(): Promise<boolean> {
    if (!this.fh || this.head.length === 0) return false;
    const { bytesRead } = await this.fh.read(this.headBuf, 0, this.head.length, 0);
    return bytesRead < this.head.length || !this.headBuf.subarray(0, bytesRead).equals(this.head);
  }

  private async step(): Promise<void> {
    if (this.stopped) return;
    const st = await statOrNull(this.path);
    if (this.fh) {
      if (!st || st.ino !== this.inode) {
        // rotated (renamed, or deleted): finish the old file, then take the new one from 0
        await this.readToEnd();
        this.splitter.flush(this.sink);
        const old = this.fh;
        this.fh = null;
        await old.close().catch(() => undefined);
        if (!st) {
          this.opts.onEvent?.({ type: 'missing', path: this.path });
          return;
        }
        this.opts.onEvent?.({ type: 'rotated', path: this.path, inode: st.ino });
        // lines of the old file still held keep the cursor there (a restart finds it renamed)
        this.retiring = this.ledger.size > 0 ? { inode: this.inode, ledger: this.ledger } : null;
        await this.openFile(st, 0, false);
      } else {
        const size = (await this.fh.stat()).size;
        if (size < this.offset || (await this.headChanged())) this.truncated();
      }
    } else if (st) {
      // appeared after a start or a rotation without successor: it is all new
      await this.openFile(st, 0, false);
    } else return;
    await this.readToEnd();
    this.scheduleCursorSave();
  }

  /** The file was truncated (copytruncate): read it again from 0. */
  private truncated(): void {
    this.opts.onEvent?.({ type: 'truncated', path: this.path });
    this.offset = 0;
    // Forget the old file's first bytes: readToEnd learns the new ones. Kept, they
    // would differ from the new content at every later look, and each look would
    // "see" a truncation and read the file again from 0 (issue 7: one appended
    // failure re-read every second until it banned its address).
    this.head = Buffer.alloc(0);
    this.splitter.reset(0);
    this.ledger = this.newLedger(0);
    this.cursorDirty = true;
  }

  private async readToEnd(): Promise<void> {
    const fh = this.fh;
    if (!fh) return;
    for (;;) {
      const { bytesRead } = await fh.read(this.buf, 0, this.buf.length, this.offset);
      if (bytesRead === 0 || this.stopped) break;
      // Checked after the read: a truncate-and-rewrite that landed between step()'s
      // check and this read would otherwise hand out the new file from the old offset.
      if (this.offset > 0 && (await this.headChanged())) {
        this.truncated();
        continue;
      }
      if (this.head.length < HEAD_BYTES && this.offset === this.head.length) {
        // the first bytes of a new or short file: remember them for truncation checks
        const more = this.buf.subarray(0, Math.min(bytesRead, HEAD_BYTES - this.head.length));
        this.head = Buffer.concat([this.head, more]);
      }
      this.offset += bytesRead;
      this.splitter.push(this.buf.subarray(0, bytesRead), this.sink);
    }
  }

  private scheduleCursorSave(): void {
    if (!this.opts.cursors || !this.cursorDirty || this.saveTimer || this.stopped) return;
    const interval = this.opts.cursorSaveIntervalMs ?? 1000;
    const wait = Math.max(0, this.lastCursorSave + interval - this.now());
    this.saveTimer = setTimeout(() => {
      this.saveTimer = null;
      void this.saveCursor();
    }, wait);
  }

  private async saveCursor(): Promise<void> {
    if (!this.opts.cursors || !this.cursorDirty || this.inode === 0) return;
    this.cursorDirty = false;
    this.lastCursorSave = this.now();
    const at = this.retiring ?? { inode: this.inode, ledger: this.ledger };
    const cursor = { path: this.path, inode: at.inode, offset: at.ledger.settledEnd, updated_at: this.lastCursorSave };
    try {
      await this.opts.cursors.save(cursor);
    } catch (err) {
      this.warnOnce('cursor-save', `cannot save the position of ${this.path}: ${(err as Error).message}`);
    }
  }

  private warnOnce(key: string, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.log.warn(message);
  }
}
