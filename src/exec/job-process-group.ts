/**
 * Stopping a job that no cgroup holds: it runs in a process group of its own (spawned
 * detached: a new session, group id = its pid). Freezing is SIGSTOP to the group, to every
 * member the sampler tracked (a member may have left the group) and to every process
 * found in the group (process-group-members.ts), repeated until a pass finds no new one: a stopped process cannot fork, so the set closes. Then
 * SIGKILL to all of them, which also ends stopped processes.
 */
import type { Host } from '../host/host.js';
import { readProcessTable } from '../collectors/processes.js';
import { trackJobTree } from './job-tree.js';
import { processGroupMembers } from './process-group-members.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const signal = (host: Host, pid: number, sig: NodeJS.Signals): void => {
  try {
    host.kill(pid, sig);
  } catch {
    // gone already (ESRCH): that is the goal
  }
};

/** Whether any process is left in group `pgid` (signal 0 only asks; it reaches no one). */
const groupExists = (host: Host, pgid: number): boolean => {
  try {
    host.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * Freezes and kills the job rooted at `rootPid` (also its process group id), starting
 * from the members known so far. `groupIsOurs`: whether the job's first process is not
 * reaped yet, so no stranger can have taken its pid as a process group id; the group is
 * signalled only then (afterwards the members tracked by pid and start time are). Resolves to every pid killed, once none of them is left
 * alive (zombies awaiting their reaper count as gone) or after `boundMs`.
 */
export const killProcessGroupJob = async (host: Host, rootPid: number, known: ReadonlyMap<number, number>, boundMs: number, groupIsOurs: () => boolean): Promise<number[]> => {
  // An unreadable process table must not stop the kill: the group and the known members
  // are still signalled, only the search for more (and the wait) is lost.
  const table = async () => {
    try {
      return (await readProcessTable(host)).processes;
    } catch {
      return null;
    }
  };
  let members: ReadonlyMap<number, number> = known;
  if (groupIsOurs()) signal(host, -rootPid, 'SIGSTOP');
  for (let pass = 0; pass < 10; pass++) {
    for (const pid of members.keys()) signal(host, pid, 'SIGSTOP');
    const processes = await table();
    if (processes === null) break;
    const seeds = new Map(members);
    // Members no poll saw (orphaned within one interval) are still in the job's group.
    for (const pid of processGroupMembers(host, processes.keys(), rootPid)) seeds.set(pid, processes.get(pid)!.startTicks);
    // Only processes alive now, by pid and start time: a stale pid is never signalled.
    const next = trackJobTree(rootPid, processes, seeds);
    const grew = [...next.keys()].some((pid) => !members.has(pid));
    members = next;
    if (!grew) break;
  }
  if (groupIsOurs()) signal(host, -rootPid, 'SIGKILL');
  for (const pid of members.keys()) signal(host, pid, 'SIGKILL');
  const until = host.monotonicMs() + boundMs;
  for (let pause = 1; host.monotonicMs() < until; pause = Math.min(pause * 2, 20)) {
    const processes = await table();
    const alive =
      processes === null
        ? groupExists(host, rootPid)
        : [...members].some(([pid, start]) => {
            const p = processes.get(pid);
            return p !== undefined && p.startTicks === start && p.state !== 'Z';
          });
    if (!alive) break;
    await sleep(pause);
  }
  return [...members.keys()];
};
