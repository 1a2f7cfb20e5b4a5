/**
 * The fast synchronous read behind `Host.readProcSync`.
 *
 * Why not `readFile` (what `Host.readProc` uses) on the collectors' hot paths: procfs
 * files report size 0, so readFile fstats, then reads in chunks and copies them
 * together; and procfs regenerates its text on every read call. Measured on the dev
 * machine (a Firecracker VM): a small /proc/net/tcp took ~4.4 ms through readFile and
 * ~1.4 ms as two plain reads; 85 pid stat files took ~8 ms through async readFile and
 * ~1 ms read synchronously.
 *
 * A read may return less than asked before the end (the socket tables come one page,
 * ~27 sockets, per read call), so we read until a read returns 0, into one buffer grown
 * when full.
 */
import { closeSync, openSync, readSync } from 'node:fs';

const INITIAL_BYTES = 64 * 1024;
// One buffer for the whole process: reads are synchronous, so they never overlap.
let shared = Buffer.allocUnsafe(INITIAL_BYTES);

/**
 * Reads a procfs file synchronously (procfs never waits on a disk): for small files a
 * thread-pool round trip costs ten times the read itself (~0.02 ms sync vs ~0.2 ms
 * async each), and large ones (socket tables) come one page per read call.
 * Throws like readFileSync (ENOENT / ESRCH for a pid that exited).
 */
export const readProcFileSync = (path: string): string => {
  const fd = openSync(path, 'r');
  try {
    let length = 0;
    for (;;) {
      const n = readSync(fd, shared, length, shared.length - length, null);
      if (n === 0) break;
      length += n;
      if (length < shared.length) continue;
      const bigger = Buffer.allocUnsafe(shared.length * 2);
      shared.copy(bigger, 0, 0, length);
      shared = bigger;
    }
    return shared.toString('utf8', 0, length);
  } finally {
    closeSync(fd);
  }
};

/**
 * Reads a small procfs file into the caller's buffer with one read call (a pid's stat
 * line comes whole): the process table parses thousands of these per scan as bytes, with
 * no string per file. Returns the bytes read; throws like readProcFileSync.
 */
export const readProcBytesSync = (path: string, into: Buffer): number => {
  const fd = openSync(path, 'r');
  try {
    return readSync(fd, into, 0, into.length, null);
  } finally {
    closeSync(fd);
  }
};

/** A proc file kept open between reads (see keptOpenProcFile). */
export interface ProcFile {
  /** the file's text now; throws like readProcFileSync (and opens it afresh at the next read) */
  read(): string;
  /** closes it; a later read opens it again */
  close(): void;
}

/**
 * A small procfs file (loadavg, uptime: one line made whole at each read) read many times a
 * second: kept open, and each read is one pread at offset 0, which makes procfs generate the
 * text afresh. On an idle agent woken ten times a second to read loadavg, the open and close
 * around each read cost more CPU than the wake-up's read itself (measured on the dev VM:
 * ~0.14 ms a read through readProcFileSync after a sleep, ~0.03 ms as one pread).
 * A read that fills the buffer is read again into a bigger one.
 */
export const keptOpenProcFile = (path: string): ProcFile => {
  let fd: number | null = null;
  let buf = Buffer.allocUnsafe(256);
  const close = () => {
    if (fd === null) return;
    const f = fd;
    fd = null;
    closeSync(f);
  };
  return {
    read: () => {
      try {
        fd ??= openSync(path, 'r');
        for (;;) {
          const n = readSync(fd, buf, 0, buf.length, 0);
          if (n < buf.length) return buf.toString('utf8', 0, n);
          buf = Buffer.allocUnsafe(buf.length * 2);
        }
      } catch (err) {
        try {
          close();
        } catch {
          // the read's error is the one to report
        }
        throw err;
      }
    },
    close,
  };
};
