/**
 * A real CPU burner for throttle tests and benches: a shell busy loop in its own
 * process group (killed as a group, stopped or not), bounded in time by `timeout`.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { parsePidStat } from '../../src/collectors/processes.js';

export interface Burner {
  pid: number;
  /** SIGKILL to the whole group; resolves once it has exited */
  kill(): Promise<void>;
}

/** Spawns a busy loop that dies by itself after `maxSeconds` (a test that hangs leaves nothing). */
export const spawnBurner = (maxSeconds = 60): Burner => {
  const child = spawn('timeout', ['-s', 'KILL', String(maxSeconds), 'sh', '-c', 'while :; do :; done'], { detached: true, stdio: 'ignore' });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    pid: child.pid!,
    kill: async () => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* already gone */
      }
      await exited;
    },
  };
};

/** The busy loop itself: timeout's child (the process that burns). */
export const burningPid = async (burner: Burner): Promise<number> => {
  // up to 10 s: a machine under a fork bomb (other tests) can take that long to fork
  for (let i = 0; i < 1000; i++) {
    const children = readFileSync(`/proc/${burner.pid}/task/${burner.pid}/children`, 'utf8').trim();
    if (children) return Number(children.split(/\s+/)[0]);
    await sleep(10);
  }
  throw new Error(`burner ${burner.pid} has no child`);
};

export const cpuTicks = (pid: number): number => parsePidStat(readFileSync(`/proc/${pid}/stat`, 'utf8'))!.cpuTicks;
export const procState = (pid: number): string => parsePidStat(readFileSync(`/proc/${pid}/stat`, 'utf8'))!.state;

/** The share of one CPU `pid` used over `ms` of wall time, from /proc (utime + stime). */
export const measureShare = async (pid: number, ms: number): Promise<number> => {
  const t0 = performance.now();
  const c0 = cpuTicks(pid);
  await sleep(ms);
  const c1 = cpuTicks(pid);
  return (c1 - c0) / 100 / ((performance.now() - t0) / 1000);
};

/** The fraction of `ms` that `pid` spent stopped (state T), sampled every few ms from /proc. */
export const stoppedFraction = async (pid: number, ms: number): Promise<number> => {
  const end = performance.now() + ms;
  let stopped = 0;
  let samples = 0;
  while (performance.now() < end) {
    samples++;
    if (procState(pid) === 'T') stopped++;
    await sleep(3);
  }
  return stopped / samples;
};
