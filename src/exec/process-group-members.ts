/**
 * The processes whose process group is `pgid`, read from their stat files (field 5,
 * which the process table does not keep). The kernel cannot hand out a pid while it is
 * still some process's group id, so every process found here really is of the job's
 * group, even after its leader was reaped: it can be signalled by pid, where signalling
 * the group id of an empty group could reach a stranger that took the number since.
 */
import type { Host } from '../host/host.js';

/** Pure: the process group id from a /proc/[pid]/stat line, or null when malformed. */
export const parseStatPgrp = (text: string): number | null => {
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  // After the name: state, ppid, pgrp.
  const pgrp = Number(text.slice(close + 2).split(' ')[2]);
  return Number.isInteger(pgrp) ? pgrp : null;
};

export const processGroupMembers = (host: Host, pids: Iterable<number>, pgid: number): number[] => {
  const out: number[] = [];
  for (const pid of pids) {
    try {
      if (parseStatPgrp(host.readProcSync(pid, 'stat')) === pgid) out.push(pid);
    } catch {
      // exited meanwhile
    }
  }
  return out;
};
