/**
 * Follows a log file like `tail -F`, as an Observable of lines, event-driven:
 *
 * - starts at the END of the file (a 2 GB auth.log is never re-read at start), unless
 *   a saved cursor names the same inode and an offset the file still reaches — then it
 *   resumes there, so lines written while the agent was down are not lost;
 * - rename rotation (logrotate's default): the old file is read to its end, then the
 *   new one from its start;
 * - copytruncate: the file shrinks below the offset, or its first bytes change (it was
 *   truncated and has grown again before we looked) → read again from 0;
 * - a missing file is waited for and read from its start when it appears (it is new);
 * - a line written in two chunks is emitted once, whole (LineSplitter).
 *
 * Changes are seen through fs.watch on the DIRECTORY (inotify: a watch on the file
 * would follow the renamed inode and miss the new file), within milliseconds; a slow
 * poll (default 1 s) covers filesystems without inotify (NFS, some overlays) and
 * missed events. Reads are serialised: one check at a time, re-run if events arrived
 * meanwhile.
 */
import { Observable } from 'rxjs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { watch, type FSWatcher, type Stats } from 'node:fs';
import { basename, dirname } from 'node:path';
import { LineSplitter } from './line-splitter.js';
import type { LogCursorStore } from './log-cursor-repository.js';
import { createLogger, type Logger } from '../log/logger.js';

export type FollowEvent =
  | { type: 'opened'; path: string; inode: number; offset: number; resumed: boolean }
  | { type: 'rotated'; path: string; inode: number }
  | { type: 'truncated'; path: string }
  | { type: 'missing'; path: string };

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
 * Follows `path`; emits each complete line appended to it (without its newline).
 * Unsubscribing closes the watcher, the timer and the file, and saves the cursor.
 */
export const followLog = (path: string, options: FollowOptions = {}): Observable<string> =>
  new Observable<string>((subscriber) => {
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
  private readonly splitter = new LineSplitter();
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

  constructor(
    private readonly path: string,
    private readonly opts: FollowOptions,
    private readonly emit: (line: string) => void,
  ) {
    this.log = opts.logger ?? createLogger('auth.follow');
    this.now = opts.now ?? Date.now;
    this.buf = Buffer.allocUnsafe(opts.chunkBytes ?? 64 * 1024);
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
    await this.openFile(st, resumed ? cursor.offset : st.size, resumed);
    await this.step();
  }

  private async openFile(st: Stats, offset: number, resumed: boolean): Promise<void> {
    const fh = await open(this.path, 'r');
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
    this.splitter.reset();
    await this.learnHead();
    this.cursorDirty = true;
    this.opts.onEvent?.({ type: 'opened', path: this.path, inode: this.inode, offset, resumed });
  }

  private async learnHead(): Promise<void> {
    if (!this.fh) return;
    const { bytesRead } = await this.fh.read(this.buf, 0, HEAD_BYTES, 0);
    this.head = Buffer.from(this.buf.subarray(0, bytesRead));
  }

  /** True when the file's first bytes are no longer those we saw: it was truncated and rewritten. */
  private async headChanged(): Promise<boolean> {
    if (!this.fh || this.head.length === 0) return false;
    const { bytesRead } = await this.fh.read(this.buf, 0, this.head.length, 0);
    return bytesRead < this.head.length || !this.buf.subarray(0, bytesRead).equals(this.head);
  }

  private async step(): Promise<void> {
    if (this.stopped) return;
    const st = await statOrNull(this.path);
    if (this.fh) {
      if (!st || st.ino !== this.inode) {
        // rotated (renamed, or deleted): finish the old file, then take the new one from 0
        await this.readToEnd();
        this.splitter.flush(this.emit);
        const old = this.fh;
        this.fh = null;
        await old.close().catch(() => undefined);
        if (!st) {
          this.opts.onEvent?.({ type: 'missing', path: this.path });
          return;
        }
        this.opts.onEvent?.({ type: 'rotated', path: this.path, inode: st.ino });
        await this.openFile(st, 0, false);
      } else {
        const size = (await this.fh.stat()).size;
        if (size < this.offset || (await this.headChanged())) {
          this.opts.onEvent?.({ type: 'truncated', path: this.path });
          this.offset = 0;
          this.splitter.reset();
          this.cursorDirty = true;
        }
      }
    } else if (st) {
      // appeared after a start or a rotation without successor: it is all new
      await this.openFile(st, 0, false);
    } else return;
    await this.readToEnd();
    this.scheduleCursorSave();
  }

  private async readToEnd(): Promise<void> {
    const fh = this.fh;
    if (!fh) return;
    for (;;) {
      const { bytesRead } = await fh.read(this.buf, 0, this.buf.length, this.offset);
      if (bytesRead === 0 || this.stopped) break;
      if (this.head.length < HEAD_BYTES && this.offset === this.head.length) {
        // the first bytes of a new or short file: remember them for truncation checks
        const more = this.buf.subarray(0, Math.min(bytesRead, HEAD_BYTES - this.head.length));
        this.head = Buffer.concat([this.head, more]);
      }
      this.offset += bytesRead;
      this.cursorDirty = true;
      this.splitter.push(Buffer.from(this.buf.subarray(0, bytesRead)), this.emit);
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
    const cursor = { path: this.path, inode: this.inode, offset: this.offset - this.splitter.pendingBytes, updated_at: this.lastCursorSave };
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
