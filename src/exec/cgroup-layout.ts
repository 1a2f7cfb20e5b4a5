/**
 * Where a process's cgroups are, from its `mountinfo` and `cgroup` proc files. Pure:
 * two texts in, directories out. Hosts come in three shapes and all three are read the
 * same way:
 * - pure v2: one `cgroup2` mount, `0::/path`;
 * - v1: one `cgroup` mount per controller (`rw,memory`), `N:memory:/path`;
 * - hybrid (systemd's, and this project's test host): v1 controllers plus a `cgroup2`
 *   mount (usually /sys/fs/cgroup/unified) that holds no controllers but can still
 *   freeze and kill a group.
 * A controller is found only where it is mounted AND the process's cgroup names it.
 */

/** The v1 controllers `panicmode exec` uses. */
export type V1Controller = 'memory' | 'pids' | 'cpu' | 'freezer';
export const V1_CONTROLLERS: readonly V1Controller[] = ['memory', 'pids', 'cpu', 'freezer'];

export interface CgroupLayout {
  /** the process's own cgroup directory in the v2 tree, or null when no cgroup2 is mounted */
  v2: string | null;
  /** the process's own cgroup directory per v1 controller mounted */
  v1: Partial<Record<V1Controller, string>>;
}

interface CgroupMount {
  /** the root of the mount inside its hierarchy (`/` unless bind-mounted from below) */
  root: string;
  mountPoint: string;
  fsType: 'cgroup' | 'cgroup2';
  /** super options: the v1 controllers of the hierarchy among them */
  options: string[];
}

/** mountinfo escapes space, tab, newline and backslash as octal (`\040`). */
const unescape = (s: string): string => s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));

const parseMounts = (mountinfo: string): CgroupMount[] =>
  mountinfo.split('\n').flatMap((line) => {
    const sep = line.indexOf(' - ');
    if (sep < 0) return [];
    const [fsType, , superOptions = ''] = line.slice(sep + 3).split(' ');
    if (fsType !== 'cgroup' && fsType !== 'cgroup2') return [];
    const fields = line.slice(0, sep).split(' ');
    if (fields.length < 5) return [];
    return [{ root: unescape(fields[3]!), mountPoint: unescape(fields[4]!), fsType, options: superOptions.split(',') }];
  });

/** `/proc/<pid>/cgroup`: hierarchy id, controllers (comma list; empty for v2), path. */
export const parseMembership = (cgroup: string): { controllers: string[]; path: string }[] =>
  cgroup.split('\n').flatMap((line) => {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line.trim());
    return m ? [{ controllers: m[2] === '' ? [] : m[2]!.split(','), path: m[3]! }] : [];
  });

/** The directory of `path` (as /proc/<pid>/cgroup shows it) under a mount of its hierarchy. */
const dirUnder = (mount: CgroupMount, path: string): string => {
  // A bind mount of a sub-tree (containers without a cgroup namespace) shows the
  // sub-tree as its root: the process's path is relative to it.
  const rel = mount.root !== '/' && (path === mount.root || path.startsWith(mount.root + '/')) ? path.slice(mount.root.length) : path;
  return (mount.mountPoint + '/' + rel).replace(/\/+/g, '/').replace(/\/$/, '');
};

export const parseCgroupLayout = (mountinfo: string, cgroup: string): CgroupLayout => {
  const mounts = parseMounts(mountinfo);
  const membership = parseMembership(cgroup);
  const layout: CgroupLayout = { v2: null, v1: {} };
  const v2Mount = mounts.find((m) => m.fsType === 'cgroup2');
  const v2Path = membership.find((m) => m.controllers.length === 0)?.path;
  if (v2Mount && v2Path !== undefined) layout.v2 = dirUnder(v2Mount, v2Path);
  for (const controller of V1_CONTROLLERS) {
    const mount = mounts.find((m) => m.fsType === 'cgroup' && m.options.includes(controller));
    const path = membership.find((m) => m.controllers.includes(controller))?.path;
    if (mount && path !== undefined) layout.v1[controller] = dirUnder(mount, path);
  }
  return layout;
};
