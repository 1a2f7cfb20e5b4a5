/**
 * The Host port: everything the agent needs from the machine it watches. The proc
 * root is injected (PANICMODE_PROC_ROOT, default /proc) so one code path serves the
 * host daemon, a sidecar reading /host/proc, and fixture trees in tests.
 */
import { readFile, readdir, readlink, statfs } from 'node:fs/promises';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { readProcFileSync } from './read-proc-file-sync.js';

export interface ExecResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

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
  listProc(...parts: (string | number)[]): Promise<string[]>;
  /** Lists a proc directory synchronously (the pid directories: one getdents, no thread-pool queue). */
  listProcSync(...parts: (string | number)[]): string[];
  readProcLink(...parts: (string | number)[]): Promise<string>;
  statfs(path: string): Promise<FsStats>;
  /** Monotonic clock in ms (for rates). */
  monotonicMs(): number;
  /** Sends a signal to a pid. */
  kill(pid: number, signal: NodeJS.Signals | number): void;
  /** Runs a program (never a shell string) with a timeout. */
  exec(file: string, args: string[], options?: { timeoutMs?: number; env?: NodeJS.ProcessEnv; input?: string }): Promise<ExecResult>;
  /** This process's pid (the self-check and the never-freeze-myself rule use it). */
  readonly pid: number;
}

/** The single place the literal `/proc` appears. */
export const DEFAULT_PROC_ROOT = '/proc';

export const procRootFromEnv = (env: NodeJS.ProcessEnv = process.env): string =>
  env.PANICMODE_PROC_ROOT && env.PANICMODE_PROC_ROOT.length > 0 ? env.PANICMODE_PROC_ROOT : DEFAULT_PROC_ROOT;

export const createHost = (procRoot: string = procRootFromEnv()): Host => {
  const procPath = (...parts: (string | number)[]) => join(procRoot, ...parts.map(String));
  return {
    procRoot,
    procPath,
    readProc: (...parts) => readFile(procPath(...parts), 'utf8'),
    readProcSync: (...parts) => readProcFileSync(procPath(...parts)),
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
    exec: (file, args, options = {}) =>
      new Promise((resolve, reject) => {
        const child = execFile(
          file,
          args,
          { timeout: options.timeoutMs ?? 10_000, env: options.env ?? process.env, maxBuffer: 16 * 1024 * 1024 },
          (error, stdout, stderr) => {
            if (error && (error as NodeJS.ErrnoException).code === 'ENOENT') return reject(error);
            const e = error as (Error & { code?: number | string; signal?: NodeJS.Signals }) | null;
            resolve({
              code: e ? (typeof e.code === 'number' ? e.code : null) : 0,
              signal: e?.signal ?? null,
              stdout: String(stdout),
              stderr: String(stderr),
            });
          },
        );
        // A program that exits before reading its input makes the write fail with EPIPE;
        // its exit status (above) is what reports the outcome.
        child.stdin?.on('error', () => undefined);
        if (options.input !== undefined) child.stdin?.end(options.input);
      }),
    pid: process.pid,
  };
};
