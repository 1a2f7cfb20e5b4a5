/**
 * Which processes belong to a job when no cgroup holds it: the job's first process, its
 * descendants by ppid, and every process seen in the job before (by pid AND start time,
 * so a recycled pid is not adopted) even after it was reparented to init when its
 * parent exited. Pure: a process table in, the members out.
 *
 * Not seen: a process that is orphaned before any poll sees it (a `cmd &` whose parent
 * exits within one poll interval). It still dies with the job's process group at the
 * end unless it also left that group (setsid): the gap a cgroup closes.
 */
import type { ProcStat } from '../collectors/processes.js';

/** pid → start time (clock ticks after boot) of each member. */
export type JobMembers = ReadonlyMap<number, number>;

export const trackJobTree = (rootPid: number, table: ReadonlyMap<number, ProcStat>, known: JobMembers): Map<number, number> => {
  const members = new Map<number, number>();
  for (const [pid, start] of known) {
    const p = table.get(pid);
    if (p && p.startTicks === start) members.set(pid, start);
  }
  const root = table.get(rootPid);
  if (root) members.set(rootPid, root.startTicks);
  const children = new Map<number, ProcStat[]>();
  for (const p of table.values()) {
    const list = children.get(p.ppid);
    if (list) list.push(p);
    else children.set(p.ppid, [p]);
  }
  const queue = [...members.keys()];
  while (queue.length > 0) {
    for (const child of children.get(queue.pop()!) ?? []) {
      if (members.has(child.pid)) continue;
      members.set(child.pid, child.startTicks);
      queue.push(child.pid);
    }
  }
  return members;
};
