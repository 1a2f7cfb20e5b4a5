/**
 * The exit codes of `panicmode exec` (docs/exec.md; `panicmode exec --help`). The job's
 * own status passes through when it ends by itself; each limit has a code of its own
 * below the 126/127/128+N range shells give meaning to, beside timeout(1)'s 124.
 */
import type { Breach } from './job-breach.js';

export const ExecExit = {
  /** the job's snapshot could not be restored and verified (beats every other outcome: DIR is suspect) */
  restoreFailed: 119,
  memory: 120,
  cpu: 121,
  procs: 122,
  /** panicmode exec itself failed before or while running the job (not the job) */
  internal: 123,
  /** as timeout(1) */
  timeout: 124,
} as const;

export const breachExitCode = (breach: Breach): number => ExecExit[breach.limit];

/** 128 + the signal number, as shells report a process killed by a signal. */
export const signalExitCode = (signal: NodeJS.Signals, numbers: Record<string, number>): number => 128 + (numbers[signal] ?? 0);
