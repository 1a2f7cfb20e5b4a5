/**
 * The Host port: everything the agent needs from the machine it watches. The proc
 * root is injected (PANICMODE_PROC_ROOT, default /proc) so one code path serves the
 * host daemon, a sidecar reading /host/proc, and fixture trees in tests.
 */
import { readFile, readdir, readlink, statfs } from 'node:fs/promises';
import { readdirSync } from 'node:fs';
import { normalize } from 'node:path';
import { keptOpenProcFile, readProcBytesSync, readProcFileSync, type ProcFile } from './read-proc-file-sync.js';
import { runProgram, type ExecOptions, type ExecResult } from './run-program.js';

export type { ExecOptions, ExecResult } from './run-program.js';
export type { ProcFile } from './read-proc-file-sync.js';

export interface FsStats {
  totalBytes: number;
  availableBytes: number;
  freeBytes: number;
}

export interface Host {
  /** The proc root, e.g. `/proc` or `/host/proc`. */
  readonly procRoot: string;
  /** A path under the proc root: `procPath('net', 'tcp')`. */
  procPath(...parts: (string | number)[]): string;
  /** Reads a proc file as text; rejects with the fs error (ENOENT for a vanished pid). */
  readProc(...parts: (string | number)[]): Promise<string>;
  /**
   * Reads a proc file as text synchronously (the collectors' hot path: 8–10× faster than
   * readProc on procfs, see read-proc-file-sync.ts); throws the fs error (ENOENT/ESRCH
   * for a vanished pid).
   */
  readProcSync(...parts: (string | number)[]): string;
  /**
   * Reads a small proc file (a pid's stat) into `into` with one read call and returns the
   * bytes read: the process-table scan's path, no string per file; throws like readProcSync.
   */
  readProcBytesSync(into: Buffer, ...parts: (string | number)[]): number;
  /**
   * A small proc file kept open, each read one pread from its start (read-proc-file-sync.ts):
   * for a file read many times a second (loadavg, by the fork-bomb trigger). Opened at its
   * first read; the caller closes it.
   */
  openProcFile(...parts: (string | number)[]): ProcFile;
  listProc(...parts: (string | number)[]): Promise<string[]>;
  /** Lists a proc directory synchronously (the pid directories: one getdents, no thread-pool queue). */
  listProcSync(...parts: (string | number)[]): string[];
  readProcLink(...parts: (string | number)[]): Promise<string>;
  statfs(path: string): Promise<FsStats>;
  /** Monotonic clock in ms (for rates). */
  monotonicMs(): number;
  /** Sends a signal to a pid. */
  kill(pid: number, signal: NodeJS.Signals | number): void;
  /** Runs a program (never a shell string) in a process group of its own, killed as one at its timeout (run-program.ts). */
  exec(file: string, args: string[], options?: ExecOptions): Promise<ExecResult>;
  /** This process's pid (the self-check and the never-freeze-myself rule use it). */
  readonly pid: number;
}

/** The single place the literal `/proc` appears. */
export const DEFAULT_PROC_ROOT = '/proc';

export const procRootFromEnv = (env: NodeJS.ProcessEnv = process.env): string =>
  env.PANICMODE_PROC_ROOT && env.PANICMODE_PROC_ROOT.length > 0 ? env.PANICMODE_PROC_ROOT : DEFAULT_PROC_ROOT;

export const createHost = (procRoot: string = procRootFromEnv()): Host => {
  // joined by hand, on a root normalized once: the process-table scan builds a path per
  // process (5,000 per scan), and path.join normalizes each one again (~4 % of the scan)
  const root = normalize(procRoot).replace(/(.)\/+$/, '$1');
  const prefix = root === '/' ? '/' : `${root}/`;
  const procPath = (...parts: (string | number)[]) => (parts.length === 0 ? root : prefix + parts.join('/'));
  return {
    procRoot,
    procPath,
    readProc: (...parts) => readFile(procPath(...parts), 'utf8'),
    readProcSync: (...parts) => readProcFileSync(procPath(...parts)),
    readProcBytesSync: (into, ...parts) => readProcBytesSync(procPath(...parts), into),
    openProcFile: (...parts) => keptOpenProcFile(procPath(...parts)),
    listProc: (...parts) => readdir(procPath(...parts)),
    listProcSync: (...parts) => readdirSync(procPath(...parts)),
    readProcLink: (...parts) => readlink(procPath(...parts)),
    statfs: async (path) => {
      const s = await statfs(path);
      return {
        totalBytes: s.blocks * s.bsize,
        availableBytes: s.bavail * s.bsize,
        freeBytes: s.bfree * s.bsize,
      };
    },
    monotonicMs: () => performance.now(),
    kill: (pid, signal) => {
      process.kill(pid, signal);
    },
    exec: runProgram,
    pid: process.pid,
  };
};
