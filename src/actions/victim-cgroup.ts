/**
 * The cgroup `kill_process` with `scope: cgroup` acts on: the victim's own (non-root)
 * group — its v2 group when it has one, else its first non-root v1 group (freezer,
 * pids, memory, cpu) — found where THIS process sees it: the victim's /proc/[pid]/cgroup
 * paths resolved through our own mountinfo (exec/cgroup-layout.ts, which handles pure
 * v2, v1 and hybrid hosts and bind-mounted sub-trees). Null when it sits in the root
 * everywhere: the root cgroup is the whole host, never killed as a group.
 */
import { parseCgroupLayout, parseMembership, type V1Controller } from '../exec/cgroup-layout.js';

export interface VictimCgroup {
  version: 1 | 2;
  /** the path inside its hierarchy, e.g. /system.slice/nginx.service */
  path: string;
  /** the directory, as this process reaches it */
  dir: string;
}

const v1Order: readonly V1Controller[] = ['freezer', 'pids', 'memory', 'cpu'];

/** Pure: our mountinfo text and the victim's cgroup text → its group, or null. */
export const victimCgroup = (ownMountinfo: string, cgroupText: string): VictimCgroup | null => {
  const membership = parseMembership(cgroupText);
  const layout = parseCgroupLayout(ownMountinfo, cgroupText);
  const v2 = membership.find((m) => m.controllers.length === 0);
  if (v2 && v2.path !== '/' && layout.v2) return { version: 2, path: v2.path, dir: layout.v2 };
  for (const c of v1Order) {
    const m = membership.find((x) => x.controllers.includes(c));
    const dir = layout.v1[c];
    if (m && m.path !== '/' && dir) return { version: 1, path: m.path, dir };
  }
  return null;
};
