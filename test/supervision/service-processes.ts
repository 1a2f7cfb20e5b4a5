/**
 * Helpers for supervision tests with real processes: a real agent in its own process
 * group, and the services it starts, which run in process groups of their own and carry
 * `PANICMODE_SERVICE=<name>` in their environment — so a test can find every one of them
 * (even those started by an agent it killed) and kill their groups in teardown.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { bin } from '../e2e/agent-process.js';

export interface Agent {
  child: ChildProcess;
  output(): string;
}

/** The agent in its own process group, so SIGKILL reaches it alone (its services live in theirs). */
export const spawnAgent = (config: string, env: NodeJS.ProcessEnv = {}): Agent => {
  const child = spawn(process.execPath, [bin, 'run', '--config', config], {
    env: { ...process.env, PANICMODE_FROM_SOURCE: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  return { child, output: () => out };
};

export const killAgent = async (a: Agent, signal: NodeJS.Signals): Promise<void> => {
  if (a.child.exitCode !== null || a.child.signalCode !== null) return;
  const exited = new Promise((r) => a.child.once('exit', r));
  try {
    process.kill(-a.child.pid!, signal);
  } catch {
    return;
  }
  await exited;
};

/** Pids whose environment says an agent started them as one of `services` (and their descendants' groups). */
export const servicePids = (services: readonly string[]): number[] => {
  const markers = services.map((s) => `PANICMODE_SERVICE=${s}\0`);
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const env = readFileSync(`/proc/${entry}/environ`, 'latin1') + '\0';
      if (markers.some((m) => env.includes(m))) pids.push(Number(entry));
    } catch {
      // exited, or a kernel thread
    }
  }
  return pids;
};

/** The process group of a pid (stat field 5), or null once it is gone. */
export const groupOf = (pid: number): number | null => {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(text.slice(text.lastIndexOf(')') + 2).split(' ')[2]);
  } catch {
    return null;
  }
};

/** SIGKILLs the process group of every process started as one of `services`. */
export const killServices = (services: readonly string[]): void => {
  for (const pid of servicePids(services)) {
    const group = groupOf(pid);
    try {
      if (group !== null && group > 1) process.kill(-group, 'SIGKILL');
      else process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
};

/** The state letter of a pid (R, S, Z, T...), or null when gone. */
export const stateOf = (pid: number): string | null => {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ')[0]!;
  } catch {
    return null;
  }
};
