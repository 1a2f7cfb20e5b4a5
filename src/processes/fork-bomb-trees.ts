/**
 * Which process trees are fork bombs, and which processes belong to one: pure, over a
 * process table read by the caller.
 *
 * What holds a bomb together. By ppid alone it falls apart: a bomb's processes
 * (`:(){ :|:& };:`) fork and exit, and their children are reparented to init or the
 * nearest subreaper, where they sit beside every daemon. What they keep is their
 * process group (stat field 5): a shell without job control never changes it, nor does
 * fork(). So a tree is a connected set of processes under two links:
 * - the same process group (pgid > 0: kernel threads have 0);
 * - child to parent when both started within the growth window (a bomb that moves
 *   its children into new groups still forks them from one another). A young process
 *   is not linked to an old parent: the shell or service a bomb was started from is
 *   not part of it unless it shares the bomb's process group.
 * - the same user and name when both started within the growth window, where the
 *   table knows users (read from status files): a bomb whose members each start a
 *   session of their own (`setsid`) and whose parents exit has no other tie — each
 *   survivor is a group of one, reparented to init. The price: during a bomb, a young
 *   process of the same user and name that is not part of it is frozen with it.
 * Sessions are not a link: a login session holds every command its user ran.
 *
 * A tree is a bomb when it holds at least `minTreeSize` processes and grew faster than
 * `ratePerSec`: the processes that started within the window, over the time since the
 * first of them, or those of the last half second over half a second, whichever is faster
 * (spans of at least `minSpanTicks`, so ten processes in one clock tick are not a rate of
 * thousands). Whether the host keeps growing (a build's 64 jobs start at once
 * and stop; a bomb does not) is decided before the table is read, by the trigger
 * (streams/riseRateExceeds.ts): this only finds who.
 */
import type { ProcStat } from '../collectors/processes.js';

/** The latest part of the window a tree's growth is also judged on (its current pace). */
const RECENT_SPAN_SEC = 0.5;

export interface ForkBombCriteria {
  /** now, in clock ticks since boot (the clock of stat's start time) */
  nowTicks: number;
  /** how far back a start counts as growth, in ticks */
  windowTicks: number;
  /** the shortest span a rate is taken over, in ticks */
  minSpanTicks: number;
  /** processes started per second, over which a tree is a bomb */
  ratePerSec: number;
  /** the fewest processes a bomb has */
  minTreeSize: number;
  /** clock ticks per second (USER_HZ) */
  ticksPerSec: number;
}

/**
 * A process as the defence reads it: a stat line's facts; read from its status file
 * (which never waits on the process: see fork-bomb-defence.ts), also its user, with a
 * start time dated from its pid (`startEstimated`: good for a rate, not for telling a
 * reused pid).
 */
export type BombProcess = ProcStat & { uid?: number; startEstimated?: boolean };

/** Pure: a young process's user and name, the tie of a bomb whose members share nothing else; undefined without a user. */
export const signatureOf = (p: BombProcess): string | undefined => (p.uid !== undefined && p.uid >= 0 ? `${p.uid}\0${p.name}` : undefined);

/** One process, as a bomb's member: pid with its start time (a pid may be reused). */
export interface Member {
  pid: number;
  /** NaN: not read yet (found from its status file), known by pid alone until it is */
  startTicks: number;
}

export interface ForkBombTree {
  /** the oldest member whose parent is not a member */
  root: ProcStat;
  /** its process groups */
  pgids: number[];
  members: Member[];
  /** members that started within the window */
  recent: number;
  /** recent members per second */
  ratePerSec: number;
}

/** Stopped, traced, zombie or dead: a process that runs no more. */
export const stoppedOrDead = (state: string): boolean => state === 'T' || state === 't' || state === 'Z' || state === 'X' || state === 'x';

/** Union-find over pids, with process groups as extra nodes (negative keys). */
class Components {
  private readonly parent = new Map<number, number>();
  find(x: number): number {
    let root = x;
    for (let p = this.parent.get(root); p !== undefined && p !== root; p = this.parent.get(root)) root = p;
    // path compression
    for (let p = this.parent.get(x); p !== undefined && p !== root; p = this.parent.get(x)) {
      this.parent.set(x, root);
      x = p;
    }
    return root;
  }
  union(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.parent.set(ra, rb);
  }
}

/** Pure: the fork bombs in a process table (with users where it has them), fastest-growing first. */
export const findForkBombs = (processes: ReadonlyMap<number, BombProcess>, c: ForkBombCriteria): ForkBombTree[] => {
  const since = c.nowTicks - c.windowTicks;
  const young = (p: ProcStat) => p.startTicks >= since;
  const sets = new Components();
  // user and name → the first young process seen with them
  const firstNamed = new Map<string, number>();
  for (const p of processes.values()) {
    if (p.pid <= 2 || p.ppid === 2) continue; // init, kthreadd and kernel threads are never a bomb
    if (p.pgid > 0) sets.union(p.pid, -p.pgid);
    const parent = processes.get(p.ppid);
    if (parent && young(p) && young(parent) && parent.pid > 2) sets.union(p.pid, parent.pid);
    const key = young(p) ? signatureOf(p) : undefined;
    if (key !== undefined) {
      const first = firstNamed.get(key);
      if (first === undefined) firstNamed.set(key, p.pid);
      else sets.union(p.pid, first);
    }
  }
  const groups = new Map<number, ProcStat[]>();
  for (const p of processes.values()) {
    // zombies linked the tree above (a dead parent's group still holds its children) but
    // are not counted: they run nothing, and cannot be frozen
    if (p.pid <= 2 || p.ppid === 2 || p.state === 'Z' || p.state === 'X' || p.state === 'x') continue;
    const key = sets.find(p.pid);
    const list = groups.get(key);
    if (list) list.push(p);
    else groups.set(key, [p]);
  }
  const bombs: ForkBombTree[] = [];
  for (const list of groups.values()) {
    if (list.length < c.minTreeSize) continue;
    let recent = 0;
    let running = 0;
    let firstStart = Infinity;
    for (const p of list) {
      if (!stoppedOrDead(p.state)) running++;
      if (!young(p)) continue;
      recent++;
      firstStart = Math.min(firstStart, p.startTicks);
    }
    if (recent === 0 || running === 0) continue; // already frozen (by us, or by hand): not growing
    // The faster of: the whole window's growth, and the last RECENT_SPAN's. A bomb grows
    // exponentially: averaged from its slow first generations it looks tamer than it is,
    // and would be found only once it had filled the table.
    const spanSec = Math.max(c.nowTicks - firstStart, c.minSpanTicks) / c.ticksPerSec;
    const lastSpanTicks = Math.max(Math.round(RECENT_SPAN_SEC * c.ticksPerSec), c.minSpanTicks);
    const lastStarted = list.reduce((n, p) => (young(p) && p.startTicks > c.nowTicks - lastSpanTicks ? n + 1 : n), 0);
    const ratePerSec = Math.max(recent / spanSec, lastStarted / (lastSpanTicks / c.ticksPerSec));
    if (!(ratePerSec > c.ratePerSec)) continue;
    const pids = new Set(list.map((p) => p.pid));
    const tops = list.filter((p) => !pids.has(p.ppid)).sort((a, b) => a.startTicks - b.startTicks || a.pid - b.pid);
    bombs.push({
      root: tops[0] ?? list[0]!,
      pgids: [...new Set(list.map((p) => p.pgid).filter((g) => g > 0))],
      members: list.map((p) => ({ pid: p.pid, startTicks: p.startTicks })),
      recent,
      ratePerSec,
    });
  }
  return bombs.sort((a, b) => b.ratePerSec - a.ratePerSec);
};

/**
 * Pure: a bomb's members in a newer table — the ones known (same pid AND start time;
 * by pid alone where the start was dated, not read: NaN), those in its process groups,
 * young ones with one of its `signatures` (user and name, where the table has users:
 * a read of the processes started since the bomb began), and every descendant of any
 * (forked since the last read). Adds the new ones to `known`. Kernel threads and init
 * are never members.
 */
export const treeMembers = (
  processes: ReadonlyMap<number, BombProcess>,
  pgids: ReadonlySet<number>,
  known: Map<number, number>,
  signatures: ReadonlySet<string> = new Set(),
): BombProcess[] => {
  const children = new Map<number, BombProcess[]>();
  const members: BombProcess[] = [];
  const seen = new Set<number>();
  const add = (p: BombProcess) => {
    if (seen.has(p.pid) || p.pid <= 2 || p.ppid === 2) return;
    seen.add(p.pid);
    members.push(p);
  };
  for (const p of processes.values()) {
    const list = children.get(p.ppid);
    if (list) list.push(p);
    else children.set(p.ppid, [p]);
    const start = known.get(p.pid);
    const signature = signatures.size > 0 ? signatureOf(p) : undefined;
    if (start === p.startTicks || (start !== undefined && Number.isNaN(start)) || pgids.has(p.pgid) || (signature !== undefined && signatures.has(signature))) add(p);
  }
  // descendants: a child starts no earlier than its parent (a reused parent pid would not)
  for (let i = 0; i < members.length; i++) {
    const parent = members[i]!;
    for (const child of children.get(parent.pid) ?? []) if (child.startTicks >= parent.startTicks) add(child);
  }
  for (const p of members) known.set(p.pid, p.startEstimated ? NaN : p.startTicks);
  return members;
};
