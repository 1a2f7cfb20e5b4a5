/**
 * The processes whose process group is `pgid`, read from their stat files. The kernel
 * cannot hand out a pid while it is still some process's group id, so every process found here really is of the job's
 * group, even after its leader was reaped: it can be signalled by pid, where signalling
 * the group id of an empty group could reach a stranger that took the number since.
 */
import type { Host } from '../host/host.js';
import { parsePidStat } from '../collectors/processes.js';

export const processGroupMembers = (host: Host, pids: Iterable<number>, pgid: number): number[] => {
  const out: number[] = [];
  for (const pid of pids) {
    try {
      if (parsePidStat(host.readProcSync(pid, 'stat'))?.pgid === pgid) out.push(pid);
    } catch {
      // exited meanwhile
    }
  }
  return out;
};
