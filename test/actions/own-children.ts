/**
 * Real processes for the process-action tests, and a Host that can only see and signal
 * them: the safety net that keeps a test of `mass_freeze` from freezing the test runner
 * or another helper's work on this shared machine.
 *
 *  - `spawn` starts a child detached (its own process group), bounded in time by the
 *    caller's `after`/`finally`, which calls `killAll` (SIGKILL to every group, then
 *    SIGCONT is not needed: SIGKILL ends a stopped process too).
 *  - `host()` is the real Host (real /proc, real signals) whose pid listing holds only
 *    our children, their descendants and their process groups' members, and whose
 *    `kill` throws for anything else.
 */
import { spawn as spawnChild, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { copyFileSync, chmodSync, mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHost, type Host } from '../../src/host/host.js';
import { parsePidStat } from '../../src/collectors/processes.js';

export interface Signal {
  pid: number;
  signal: NodeJS.Signals | number;
}

export interface OwnChildren {
  spawn(file: string, args: string[], options?: SpawnOptions): ChildProcess;
  /** a copy of `from` (default sleep) named `name`, so its comm is `name` */
  binaryNamed(name: string, from?: string): string;
  /** our children and all their descendants, live now */
  pids(): number[];
  /** a Host over the real /proc that lists and signals only `pids()`; `pid` pretends to be PanicMode's */
  host(options?: { pid?: number }): Host & { signals: Signal[] };
  killAll(): Promise<void>;
}

export const stateOf = (pid: number): string | null => {
  try {
    return parsePidStat(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.state ?? null;
  } catch {
    return null;
  }
};

export const waitUntil = async (pred: () => boolean, ms: number, what: string): Promise<void> => {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

/** A process's CPU ticks so far (to wait until a burner is really burning). */
export const cpuTicksOf = (pid: number): number => {
  try {
    return parsePidStat(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.cpuTicks ?? 0;
  } catch {
    return 0;
  }
};

export const ownChildren = (): OwnChildren => {
  const children: ChildProcess[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'pm-proc-'));
  chmodSync(dir, 0o755); // children run as nobody exec their binaries from here
  const real = createHost();

  const pids = (): number[] => {
    const roots = new Set(children.map((c) => c.pid!).filter((p) => p !== undefined));
    const parents = new Map<number, number>();
    const inOurGroup = new Set<number>();
    for (const e of real.listProcSync()) {
      if (!/^\d+$/.test(e)) continue;
      try {
        const text = real.readProcSync(e, 'stat');
        const s = parsePidStat(text);
        if (s) parents.set(s.pid, s.ppid);
        // a child of ours that was reparented (its parent died) is still in our group
        if (s && roots.has(s.pgid)) inOurGroup.add(s.pid);
      } catch {
        // exited
      }
    }
    const ours = (pid: number): boolean => {
      if (inOurGroup.has(pid)) return true;
      for (let p = pid, hops = 0; p > 1 && hops < 64; hops++) {
        if (roots.has(p)) return true;
        p = parents.get(p) ?? 0;
      }
      return false;
    };
    return [...parents.keys()].filter(ours);
  };

  return {
    spawn: (file, args, options = {}) => {
      const c = spawnChild(file, args, { stdio: 'ignore', ...options, detached: true });
      c.on('error', () => undefined);
      children.push(c);
      return c;
    },
    binaryNamed: (name, from = '/bin/sleep') => {
      const path = join(dir, name);
      copyFileSync(from, path);
      chmodSync(path, 0o755);
      return path;
    },
    pids,
    host: (options = {}) => {
      const signals: Signal[] = [];
      const groups = () => new Set(children.map((c) => c.pid!));
      return {
        ...real,
        pid: options.pid ?? real.pid,
        signals,
        listProcSync: (...parts: (string | number)[]) => (parts.length === 0 ? pids().map(String) : real.listProcSync(...parts)),
        kill: (pid: number, signal: NodeJS.Signals | number) => {
          const allowed = pid > 0 ? pids().includes(pid) : groups().has(-pid);
          if (!allowed) throw new Error(`test safety: refusing to signal ${pid}, not one of this test's processes`);
          signals.push({ pid, signal });
          process.kill(pid, signal);
        },
      };
    },
    killAll: async () => {
      for (const c of children) {
        if (c.pid === undefined) continue;
        try {
          process.kill(-c.pid, 'SIGKILL');
        } catch {
          // the group is gone
        }
      }
      await Promise.all(children.map((c) => (c.exitCode !== null || c.signalCode !== null ? undefined : new Promise((r) => c.once('exit', r)))));
      rmSync(dir, { recursive: true, force: true });
    },
  };
};
