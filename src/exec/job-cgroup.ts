/**
 * The cgroups of one `panicmode exec` job: made beside the caller's own cgroups (as
 * children of them, so the job stays inside whatever limits the caller already has),
 * given the job's limits, joined by the job before it runs its command, frozen and
 * killed as a whole, and removed afterwards.
 *
 * Per concern, the first that works wins:
 * - limits (memory.max / pids.max / cpu.max): the v2 tree when its parent delegates the
 *   controller (listed in the parent's cgroup.subtree_control, or enabled there now),
 *   else the v1 controller (memory.limit_in_bytes, pids.max, cpu.cfs_quota_us), else
 *   not enforced here: the caller polls /proc for it (job-watch.ts);
 * - freeze: v2 cgroup.freeze (works even in a v2 tree with no controllers, the hybrid
 *   host's /sys/fs/cgroup/unified), else v1 freezer.state, else SIGSTOP to each member;
 * - kill: v2 cgroup.kill (Linux 5.14+), else SIGKILL to every member while frozen.
 * Every file is small and written synchronously: the cgroup must be complete before the
 * job is let go.
 */
import { mkdirSync, readFileSync, rmdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { CgroupLayout, V1Controller } from './cgroup-layout.js';
import type { JobLimits } from './job-limits.js';
import type { Host } from '../host/host.js';
import { ExecError } from '../errors.js';
import { CPU_PERIOD_US, quotaFor } from '../throttle/cgroup-cpu-quota.js';

export type LimitKind = 'memory' | 'procs' | 'cpu';
export type Enforcer = 'cgroup v2' | 'cgroup v1';

/** What the job's cgroups saw: an OOM kill, a refused fork. */
export interface CgroupEvents {
  /** processes the kernel OOM-killed in the job (memory.events oom_kill / v1 oom_control) */
  oomKills: number;
  /** v1 without an oom_kill counter: times the limit was hit (memory.failcnt); else 0 */
  memoryFailures: number;
  /** forks refused by pids.max (pids.events max) */
  forksRefused: number;
}

export interface JobCgroup {
  /** who enforces each limit the job has; a limit missing here is polled from /proc */
  readonly enforced: Partial<Record<LimitKind, Enforcer>>;
  /** every directory made, v2 first */
  readonly dirs: readonly string[];
  /** Moves `pid` into every cgroup of the job. */
  join(pid: number): void;
  events(): CgroupEvents;
  /** Kills every member (frozen first), thaws, and resolves once no member is left or after `boundMs`. */
  killAll(boundMs: number): Promise<number[]>;
  /** Removes the cgroups (after killAll); resolves to the directories that could not be removed. */
  remove(): Promise<string[]>;
}

const read = (dir: string, file: string): string => readFileSync(join(dir, file), 'utf8');
const write = (dir: string, file: string, value: string): void => writeFileSync(join(dir, file), value);
const tryRead = (dir: string, file: string): string | null => {
  try {
    return read(dir, file);
  } catch {
    return null;
  }
};

/** `key value` lines (memory.events, pids.events, memory.oom_control) → the value of `key`, or null. */
export const keyedValue = (text: string | null, key: string): number | null => {
  const m = text === null ? null : new RegExp(`^${key} (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : null;
};

const pidsIn = (dir: string): number[] =>
  read(dir, 'cgroup.procs')
    .split('\n')
    .filter((l) => l !== '')
    .map(Number);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The v2 controller file names of each limit. */
const v2Controller: Record<LimitKind, string> = { memory: 'memory', procs: 'pids', cpu: 'cpu' };
const v1Controller: Record<LimitKind, V1Controller> = { memory: 'memory', procs: 'pids', cpu: 'cpu' };

/** cpu.max / cfs quota for `percent` of one core (a CPU cap's own formula). */
const quotaUs = (percent: number): number => quotaFor(percent / 100);

const writeLimit = (kind: LimitKind, enforcer: Enforcer, dir: string, limits: JobLimits): void => {
  const v2 = enforcer === 'cgroup v2';
  if (kind === 'memory') {
    write(dir, v2 ? 'memory.max' : 'memory.limit_in_bytes', String(limits.memoryBytes));
    // No swap to hide in: a job over its limit is OOM-killed rather than swapped slowly.
    if (v2 && existsSync(join(dir, 'memory.swap.max'))) write(dir, 'memory.swap.max', '0');
  } else if (kind === 'procs') {
    write(dir, 'pids.max', String(limits.maxProcs));
  } else if (v2) {
    write(dir, 'cpu.max', `${quotaUs(limits.cpuPercent!)} ${CPU_PERIOD_US}`);
  } else {
    write(dir, 'cpu.cfs_period_us', String(CPU_PERIOD_US));
    write(dir, 'cpu.cfs_quota_us', String(quotaUs(limits.cpuPercent!)));
  }
};

/**
 * Whether the v2 cgroup `parent` hands `controller` to its children, enabling it when the
 * parent has it but does not delegate it yet. The kernel refuses that in a non-root
 * cgroup that holds processes (no internal processes): then the answer is no.
 */
const v2Delegates = (parent: string, controller: string): boolean => {
  const enabled = (tryRead(parent, 'cgroup.subtree_control') ?? '').split(/\s+/);
  if (enabled.includes(controller)) return true;
  if (!(tryRead(parent, 'cgroup.controllers') ?? '').split(/\s+/).includes(controller)) return false;
  try {
    write(parent, 'cgroup.subtree_control', `+${controller}`);
    return true;
  } catch {
    return false;
  }
};

const limitKinds = (limits: JobLimits): LimitKind[] => [
  ...(limits.memoryBytes !== null ? (['memory'] as const) : []),
  ...(limits.maxProcs !== null ? (['procs'] as const) : []),
  ...(limits.cpuPercent !== null ? (['cpu'] as const) : []),
];

/**
 * Makes the job's cgroups named `name`, or throws an ExecError when none can be made
 * that can both hold and freeze the job (the caller then falls back to a process group).
 * Whatever was made before a failure is removed again.
 */
export const createJobCgroup = (layout: CgroupLayout, limits: JobLimits, name: string, host: Host): JobCgroup => {
  const dirs: string[] = [];
  const enforced: Partial<Record<LimitKind, Enforcer>> = {};
  let v2: string | null = null;
  let freezer: string | null = null;
  const v1: Partial<Record<LimitKind, string>> = {};
  const make = (parent: string): string => {
    const dir = join(parent, name);
    mkdirSync(dir);
    dirs.push(dir);
    return dir;
  };
  const undo = () => {
    for (const dir of dirs.slice().reverse()) {
      try {
        rmdirSync(dir);
      } catch {
        // best effort: the error that made us undo is the one to report
      }
    }
  };
  try {
    if (layout.v2 !== null) {
      try {
        v2 = make(layout.v2);
      } catch {
        v2 = null; // a read-only or foreign v2 tree: v1 may still do
      }
    }
    for (const kind of limitKinds(limits)) {
      if (v2 !== null && layout.v2 !== null && v2Delegates(layout.v2, v2Controller[kind])) {
        writeLimit(kind, 'cgroup v2', v2, limits);
        enforced[kind] = 'cgroup v2';
        continue;
      }
      const parent = layout.v1[v1Controller[kind]];
      if (parent === undefined) continue;
      try {
        const dir = make(parent);
        writeLimit(kind, 'cgroup v1', dir, limits);
        v1[kind] = dir;
        enforced[kind] = 'cgroup v1';
      } catch {
        // not writable here: polled from /proc instead
      }
    }
    // cgroup.freeze came with Linux 5.2: an older v2 tree holds the job but cannot freeze it.
    if ((v2 === null || !existsSync(join(v2, 'cgroup.freeze'))) && layout.v1.freezer !== undefined) freezer = make(layout.v1.freezer);
    if (v2 === null && freezer === null) throw new Error('no writable cgroup that can freeze a job (neither a v2 tree nor the v1 freezer)');
  } catch (err) {
    undo();
    throw new ExecError('CGROUP', `cannot make the job's cgroup: ${(err as Error).message}`, { cause: err });
  }

  /** The directory whose cgroup.procs lists the whole job. */
  const home = (v2 ?? freezer)!;
  const events = (): CgroupEvents => {
    const memDir = enforced.memory === 'cgroup v2' ? v2 : v1.memory;
    const pidsDir = enforced.procs === 'cgroup v2' ? v2 : v1.procs;
    let oomKills = 0;
    let memoryFailures = 0;
    if (memDir) {
      const v2Mem = enforced.memory === 'cgroup v2';
      const kills = keyedValue(tryRead(memDir, v2Mem ? 'memory.events' : 'memory.oom_control'), 'oom_kill');
      if (kills !== null) oomKills = kills;
      else if (!v2Mem) memoryFailures = Number(tryRead(memDir, 'memory.failcnt') ?? 0);
    }
    const forksRefused = pidsDir ? keyedValue(tryRead(pidsDir, 'pids.events'), 'max') ?? 0 : 0;
    return { oomKills, memoryFailures, forksRefused };
  };

  const waitFor = async (done: () => boolean, boundMs: number): Promise<boolean> => {
    const until = host.monotonicMs() + boundMs;
    for (let pause = 1; ; pause = Math.min(pause * 2, 20)) {
      if (done()) return true;
      if (host.monotonicMs() >= until) return false;
      await sleep(pause);
    }
  };

  const v2Freezes = v2 !== null && freezer === null && existsSync(join(v2, 'cgroup.freeze'));
  /**
   * Freezes the job: cgroup.freeze or freezer.state, waiting (bounded: a task in D state
   * may hold it up) until the kernel says frozen; with neither (a v2 tree older than 5.2
   * and no v1 freezer), SIGSTOP to every member until a pass finds no new one.
   */
  const freeze = async (): Promise<void> => {
    if (v2Freezes) {
      write(v2!, 'cgroup.freeze', '1');
      await waitFor(() => keyedValue(tryRead(v2!, 'cgroup.events'), 'frozen') === 1, 1000);
    } else if (freezer !== null) {
      write(freezer, 'freezer.state', 'FROZEN');
      await waitFor(() => (tryRead(freezer!, 'freezer.state') ?? '').trim() === 'FROZEN', 1000);
    } else {
      const stopped = new Set<number>();
      for (let pass = 0; pass < 10; pass++) {
        const fresh = pidsIn(home).filter((pid) => !stopped.has(pid));
        if (fresh.length === 0) break;
        for (const pid of fresh) {
          stopped.add(pid);
          try {
            host.kill(pid, 'SIGSTOP');
          } catch {
            // exited meanwhile
          }
        }
      }
    }
  };

  /** SIGKILL ends a SIGSTOPped task; a v1-frozen one only once thawed; a v2-frozen one dies frozen. */
  const thaw = () => {
    if (v2Freezes) write(v2!, 'cgroup.freeze', '0');
    else if (freezer !== null) write(freezer, 'freezer.state', 'THAWED');
  };

  return {
    enforced,
    dirs,
    join: (pid) => {
      // The v1 hierarchies are separate: the job must be in each, or a limit misses it.
      for (const dir of dirs) write(dir, 'cgroup.procs', String(pid));
    },
    events,
    killAll: async (boundMs) => {
      const killed = new Set<number>();
      await freeze();
      if (v2 !== null && existsSync(join(v2, 'cgroup.kill'))) {
        for (const pid of pidsIn(v2)) killed.add(pid);
        write(v2, 'cgroup.kill', '1');
      } else {
        // Frozen members cannot fork, so one pass over the list finds them all.
        for (const pid of pidsIn(home)) {
          killed.add(pid);
          try {
            host.kill(pid, 'SIGKILL');
          } catch {
            // exited meanwhile
          }
        }
      }
      thaw();
      await waitFor(() => pidsIn(home).length === 0, boundMs);
      return [...killed];
    },
    remove: async () => {
      const left: string[] = [];
      for (const dir of dirs.slice().reverse()) {
        // A killed task leaves its cgroup a moment after it is reaped: retry EBUSY briefly.
        const removed = await waitFor(() => {
          try {
            rmdirSync(dir);
            return true;
          } catch (err) {
            return (err as NodeJS.ErrnoException).code === 'ENOENT';
          }
        }, 2000);
        if (!removed) left.push(dir);
      }
      return left;
    },
  };
};
