/**
 * Helpers for end-to-end tests that run the real `panicmode` as a child process: start
 * it (optionally inside a network namespace), collect its output, stop it; a proc tree
 * whose CPU counters advance like a busy machine's; polling with a clear timeout message.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const bin = join(process.cwd(), 'bin', 'panicmode.js');

export const waitFor = async (pred: () => boolean, ms: number, what: string, log?: () => string): Promise<void> => {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${log ? '\n--- agent output ---\n' + log() : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

export interface AgentProcess {
  child: ChildProcess;
  /** stdout and stderr so far */
  output(): string;
  /** SIGTERM, resolves with the exit code */
  stop(): Promise<number | null>;
}

export const startAgent = (config: string, env: NodeJS.ProcessEnv, netns?: string): AgentProcess => {
  const args = [bin, 'run', '--config', config];
  const child = netns
    ? spawn('ip', ['netns', 'exec', netns, process.execPath, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  return {
    child,
    output: () => out,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
        child.once('exit', (code) => resolve(code));
        child.kill('SIGTERM');
      }),
  };
};

/** Runs `panicmode <args>` to completion and returns its stdout. */
export const panicmode = (...args: string[]): string => execFileSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: process.env });

/** /proc/stat with `busy` and `idle` jiffies on one core. */
const statText = (busy: number, idle: number) =>
  [`cpu  ${busy} 0 0 ${idle} 0 0 0 0 0 0`, `cpu0 ${busy} 0 0 ${idle} 0 0 0 0 0 0`, 'intr 0', 'ctxt 100', 'btime 1700000000', 'processes 1000', 'procs_running 3', 'procs_blocked 0'].join('\n') + '\n';

/**
 * A proc tree with only stat, meminfo (87.5 % used, swap idle) and loadavg, whose CPU
 * is `busyPercent` busy: stat advances every 100 ms until `stop()`.
 */
export const busyProcTree = (dir: string, busyPercent = 95): { root: string; stop(): void } => {
  const root = join(dir, 'proc');
  mkdirSync(root, { recursive: true });
  writeFileSync(
    join(root, 'meminfo'),
    ['MemTotal:        8000000 kB', 'MemFree:          500000 kB', 'MemAvailable:    1000000 kB', 'Buffers:           10000 kB', 'Cached:           400000 kB', 'SwapTotal:       2000000 kB', 'SwapFree:        2000000 kB'].join('\n') + '\n',
  );
  writeFileSync(join(root, 'loadavg'), '0.50 0.40 0.30 3/250 4242\n');
  let busy = 1000;
  let idle = 1000;
  writeFileSync(join(root, 'stat'), statText(busy, idle));
  const timer = setInterval(() => {
    busy += busyPercent;
    idle += 100 - busyPercent;
    writeFileSync(join(root, 'stat'), statText(busy, idle));
  }, 100);
  return { root, stop: () => clearInterval(timer) };
};

/** The storage and control-socket part of a config, all inside `dir`. */
export const storageYaml = (dir: string): string => `storage:
  incident_db: ${join(dir, 'incidents.db')}
  state_file: ${join(dir, 'state.json')}
  snapshot_dir: ${join(dir, 'snapshots')}
  log_dir: ${join(dir, 'logs')}
`;
