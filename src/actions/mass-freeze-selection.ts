/**
 * Whom the mass_freeze family stops, pure over a ProcessView:
 *
 *  - everyone (`mass_freeze`, policy mode all): every process that is not protected
 *    (spare.ts with process_whitelist and the policy's whitelist_processes) and not
 *    root's. Root's processes are the system's daemons (logind, journald, udev, cron):
 *    freezing them all stops an operator from logging in — the compat policy spares
 *    them too ("All root processes" are always protected). A root runaway is for
 *    freeze_top_process / mass_freeze_top, which choose by CPU.
 *  - a cluster (`mass_freeze_cluster:<name>`): the processes its selector matches
 *    (mass-freeze.ts ClusterSelector: names, name_regex, cmdline_regex, users, cgroup;
 *    all given keys must match), minus the protected and whitelisted ones.
 *
 * Each protected process that would have been taken is returned with its reason, except
 * kernel threads (always dozens, never freezable) which are only counted.
 */
import type { ProcessView } from './process-view.js';
import type { Spare } from './spare.js';
import { nameMatches } from './spare.js';
import type { ClusterSelector } from '../config/mass-freeze.js';
import { victimOf, type Skip, type Victim } from './choose-victims.js';
import { parseMembership } from '../exec/cgroup-layout.js';

export interface MassSelection {
  victims: Victim[];
  skipped: Skip[];
  /** kernel threads passed over (not logged one by one) */
  kernelThreads: number;
}

const basename = (p: string) => p.slice(p.lastIndexOf('/') + 1);

const select = (view: ProcessView, spare: Spare, take: (pid: number) => boolean, why: (pid: number) => string | null = () => null): MassSelection => {
  const out: MassSelection = { victims: [], skipped: [], kernelThreads: 0 };
  for (const pid of [...view.table.keys()].sort((a, b) => a - b)) {
    const reason = spare(pid) ?? why(pid);
    if (reason === 'kernel thread') out.kernelThreads++;
    else if (reason === 'gone') continue;
    else if (!take(pid)) continue;
    else if (reason !== null) out.skipped.push({ pid, name: view.table.get(pid)!.name, reason });
    else out.victims.push(victimOf(view, pid));
  }
  return out;
};

/** `mass_freeze` (all): every process not protected, not whitelisted, not root's. */
export const selectEveryone = (view: ProcessView, spare: Spare): MassSelection =>
  select(view, spare, () => true, (pid) => (view.uid(pid) === 0 ? "root's (system services are spared by mass_freeze)" : null));

/** Does the process match every key of the selector? */
export const matchesSelector = (view: ProcessView, pid: number, sel: ClusterSelector, userName: (uid: number) => string): boolean => {
  const p = view.table.get(pid);
  if (!p) return false;
  if (sel.names && !sel.names.some((n) => nameMatches(view, pid, n))) return false;
  if (sel.name_regex !== undefined) {
    const re = new RegExp(sel.name_regex);
    if (!re.test(p.name) && !re.test(basename(view.argv0(pid).split(' ')[0] ?? ''))) return false;
  }
  if (sel.cmdline_regex !== undefined && !new RegExp(sel.cmdline_regex).test(view.cmdline(pid) ?? '')) return false;
  if (sel.users) {
    const uid = view.uid(pid);
    if (!sel.users.includes(String(uid)) && !sel.users.includes(userName(uid))) return false;
  }
  // any hierarchy's path counts (v2, or v1 controllers, which may each place it differently)
  if (sel.cgroup !== undefined && !parseMembership(view.cgroupText(pid) ?? '').some((m) => m.path.includes(sel.cgroup!))) return false;
  return true;
};

/** `mass_freeze_cluster:<name>`: the selector's processes, protected ones spared. */
export const selectCluster = (view: ProcessView, spare: Spare, sel: ClusterSelector, userName: (uid: number) => string): MassSelection =>
  select(view, spare, (pid) => matchesSelector(view, pid, sel, userName));
