/**
 * Stopping a fork bomb: freeze the whole tree, then kill it, and verify.
 *
 * Freeze first, because killing a live bomb one process at a time loses the race: each
 * one killed is replaced by its siblings' children. A stopped process cannot fork, so
 * once every member is stopped the tree is fixed and can be killed at leisure. But
 * members fork while they are being stopped, so freezing is a loop: read the table,
 * SIGSTOP every member not yet stopped (state `T`), read again, until reads find none
 * (freezeTree says which reads). Killing is a loop too: SIGKILL every frozen member,
 * then look each one up again (by pid AND start time: a freed pid may be reused at
 * once) until none is left but zombies (dead, waiting to be reaped: they run nothing).
 *
 * The first step stops each of the bomb's process groups with one signal
 * (`kill(-pgid)`), unless a spared process is in it; the loop then catches the rest.
 *
 * Every process is first offered to `spare` (PID 1, PanicMode and its ancestors,
 * sshd, whitelisted names: see the caller); a spared one is never signalled, and its
 * reason is reported.
 *
 * Signals go through `host.kill` only; a process that exited in between (ESRCH) is
 * simply gone. The loops are bounded in rounds and time; between rounds the event loop
 * runs (`pause`), so a freeze never holds up SSH detection for long.
 */
import type { Host } from '../host/host.js';
import { parsePidStat, type ProcStat } from '../collectors/processes.js';
import { signatureOf, stoppedOrDead, treeMembers, type BombProcess, type ForkBombTree, type Member } from './fork-bomb-trees.js';

export interface ResponseDeps {
  host: Host;
  /** reads the process table (readProcessTable) */
  scan: () => Promise<ReadonlyMap<number, ProcStat>>;
  /** the last pid handed out (loadavg's last field), NaN when unknown */
  lastPid: () => number;
  /**
   * reads only the processes whose pids were handed out after `from`, up to `to`, from
   * their status files (users, dated starts: see fork-bomb-defence.ts readNewStatuses)
   */
  readSince: (from: number, to: number) => ReadonlyMap<number, BombProcess>;
  /** a reason never to signal this process, or null */
  spare: (pid: number) => string | null;
  /** lets the event loop run between rounds */
  pause: () => Promise<void>;
  /** ms, the pipeline's clock */
  now: () => number;
}

export interface ResponseLimits {
  /**
   * the last pid handed out before the growth window, when `first` holds only the
   * processes started since (then the freeze reads only those, see freezeTree)
   */
  sincePid?: number;
  /** most table reads while freezing (default 100) */
  maxRounds?: number;
  /** ms the freeze (or the kill) may take at most (default 5,000) */
  timeoutMs?: number;
}

export interface Frozen {
  /** the members stopped (state T) at the last read */
  frozen: Member[];
  /** every member alive and not spared at the last read: all frozen when complete (what to kill) */
  members: Member[];
  /** members never signalled, with why */
  spared: { pid: number; reason: string }[];
  /** table reads */
  rounds: number;
  /** true when the last read found no member left running */
  complete: boolean;
  /** ms from start to the read that found the tree frozen (before the census, see freezeTree) */
  frozenMs: number;
  /** ms from start to the end, census included */
  ms: number;
}

export interface Killed {
  /** members sent SIGKILL */
  killed: number;
  /** members still alive (not zombies) when the limits ran out */
  survivors: Member[];
  rounds: number;
  ms: number;
}

const dead = (state: string) => state === 'Z' || state === 'X' || state === 'x';

/** Sends a signal; false when the process is already gone. */
const signal = (host: Host, pid: number, sig: NodeJS.Signals): boolean => {
  try {
    host.kill(pid, sig);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
};

/**
 * One SIGSTOP per process group (`kill(-pgid)`) for each of the tree's groups that
 * holds no spared process. The kernel signals a whole group at once and a fork racing
 * with it is restarted after, so the group is frozen in one step, however fast it
 * forks. This matters: while a bomb runs, every read of the table competes with
 * hundreds of runnable bomb processes for the CPU (measured on a loaded 2-core machine:
 * 400-600 ms for a 500-process table, 50 ms once the bomb was frozen), so a freeze
 * that needs several reads to catch up with the forks takes seconds.
 */
const stopWholeGroups = (table: ReadonlyMap<number, ProcStat>, pgids: ReadonlySet<number>, deps: ResponseDeps): void => {
  const spared = new Set<number>();
  for (const p of table.values()) if (pgids.has(p.pgid) && !spared.has(p.pgid) && deps.spare(p.pid) !== null) spared.add(p.pgid);
  for (const g of pgids) if (!spared.has(g) && g > 1) signal(deps.host, -g, 'SIGSTOP');
};

/**
 * SIGSTOPs every member of the tree until reads find none running. `first` is the
 * table the tree was found in.
 *
 * Which reads, and why. While a bomb runs, every read of the table competes with its
 * processes for the CPU, so the freeze reads as little as it can:
 * - `young`: when `first` holds only the processes started within the growth window
 *   (`sincePid`), so does each read while members are still being stopped (every
 *   member found so far, and every child forked since, has a pid handed out after
 *   `sincePid`); otherwise the whole table. Again while a read finds members to stop.
 * - `confirm`: once a read is quiet, one more, of the pids handed out since that read
 *   began only. A read lists the pids, then reads each one, so a child forked after the
 *   listing by a parent stopped before its own stat was read is missed by that read —
 *   and its pid is newer than the listing. A quiet confirm: the tree is frozen.
 * - `census`: then one whole read, the bomb frozen and no longer competing, for the
 *   members older than the window (in the bomb's process group: stopped by the group
 *   signal, but to be verified and killed by pid). Members it finds running are stopped
 *   and the loop goes on with whole reads.
 */
export const freezeTree = async (
  tree: ForkBombTree,
  first: ReadonlyMap<number, BombProcess>,
  deps: ResponseDeps,
  limits: ResponseLimits = {},
): Promise<Frozen> => {
  const start = deps.now();
  const maxRounds = limits.maxRounds ?? 100;
  const deadline = start + (limits.timeoutMs ?? 5_000);
  const known = new Map(tree.members.map((m) => [m.pid, m.startTicks]));
  const pgids = new Set(tree.pgids);
  // its members' users and names, where the first read has users: what ties a bomb whose
  // members each start a session of their own, in the reads of its young processes
  const signatures = new Set<string>();
  for (const m of tree.members) {
    const p = first.get(m.pid);
    const signature = p && signatureOf(p);
    if (signature !== undefined) signatures.add(signature);
  }
  const spared = new Map<number, string>();
  // every member alive (not spared) as last read, and whether it was stopped then
  const alive = new Map<number, { member: Member; stopped: boolean }>();
  let sincePid = limits.sincePid;
  let table: ReadonlyMap<number, BombProcess> = first;
  let read: 'first' | 'young' | 'confirm' | 'census' = 'first';
  let frozenMs = -1;
  let mark = deps.lastPid();
  // the pids handed out after `from`; without pids to go by, the whole table
  const readSince = async (from: number | undefined): Promise<ReadonlyMap<number, BombProcess>> => {
    const to = deps.lastPid();
    return from !== undefined && Number.isFinite(from) && Number.isFinite(to) ? deps.readSince(from, to) : deps.scan();
  };
  stopWholeGroups(table, pgids, deps);
  for (let round = 1; ; round++) {
    let sent = 0;
    if (read === 'young' || read === 'census') alive.clear(); // such a read says who is still there
    for (const p of treeMembers(table, pgids, known, signatures)) {
      if (spared.has(p.pid)) continue;
      if (dead(p.state)) {
        alive.delete(p.pid);
        continue;
      }
      const reason = deps.spare(p.pid);
      if (reason !== null) {
        spared.set(p.pid, reason);
        continue;
      }
      const member = { pid: p.pid, startTicks: p.startTicks };
      const stopped = stoppedOrDead(p.state);
      alive.set(p.pid, { member, stopped });
      if (!stopped && signal(deps.host, p.pid, 'SIGSTOP')) sent++;
    }
    if (sent === 0 && read === 'confirm' && frozenMs < 0) frozenMs = deps.now() - start;
    const complete = sent === 0 && read === 'census';
    if (complete || round >= maxRounds || deps.now() >= deadline) {
      const all = [...alive.values()];
      return {
        frozen: all.filter((a) => a.stopped).map((a) => a.member),
        members: all.map((a) => a.member),
        spared: [...spared].map(([pid, reason]) => ({ pid, reason })),
        rounds: round,
        complete,
        frozenMs: complete ? frozenMs : -1,
        ms: deps.now() - start,
      };
    }
    await deps.pause();
    if (sent === 0 && read === 'confirm') {
      read = 'census';
      table = await deps.scan();
    } else if (sent === 0 && read !== 'first') {
      read = 'confirm';
      table = await readSince(mark);
    } else {
      if (read === 'census') sincePid = undefined; // members older than the window were running: whole reads from now on
      read = 'young';
      mark = deps.lastPid();
      table = await readSince(sincePid);
    }
  }
};

/** The member's state if it is still the same process and alive, else null. */
const aliveState = (host: Host, m: Member): string | null => {
  let text: string;
  try {
    text = host.readProcSync(m.pid, 'stat');
  } catch {
    return null;
  }
  const p = parsePidStat(text);
  return p && p.startTicks === m.startTicks && !dead(p.state) ? p.state : null;
};

/**
 * SIGKILLs every frozen member, then again any that is still alive, until none is.
 * Each is looked up before each signal (pid and start time), since a grace period
 * leaves time for a member to die otherwise and its pid to be reused.
 */
export const killTree = async (members: readonly Member[], deps: ResponseDeps, limits: ResponseLimits = {}): Promise<Killed> => {
  const start = deps.now();
  const maxRounds = limits.maxRounds ?? 100;
  const deadline = start + (limits.timeoutMs ?? 5_000);
  let left = members.filter((m) => deps.spare(m.pid) === null);
  let killed = 0;
  for (let round = 1; ; round++) {
    left = left.filter((m) => aliveState(deps.host, m) !== null);
    if (left.length === 0 || round > maxRounds || deps.now() >= deadline) {
      return { killed, survivors: left, rounds: round - 1, ms: deps.now() - start };
    }
    for (const m of left) if (signal(deps.host, m.pid, 'SIGKILL') && round === 1) killed++;
    await deps.pause();
  }
};
