/**
 * Where a process's cgroup is, on cgroup v2 (pure: /sys/fs/cgroup; hybrid: its
 * `unified` tree) or v1 (a directory per controller). Detected at run time from the
 * mount's files: production is mostly pure v2, this dev machine is hybrid.
 *
 * In a sidecar, /proc/[pid]/cgroup paths are relative to the container's cgroup
 * namespace: the host's cgroup tree must be mounted and the container run with
 * `--cgroupns=host` for these paths to name the right directory.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export interface CgroupPaths {
  /** the v2 hierarchy's mount point, or null when there is none */
  v2: string | null;
  /** the directory holding the v1 controllers' mounts */
  v1: string;
}

/** The hierarchies under `root` (default /sys/fs/cgroup). */
export const detectCgroupPaths = (root = '/sys/fs/cgroup'): CgroupPaths => {
  if (existsSync(join(root, 'cgroup.controllers'))) return { v2: root, v1: root };
  const unified = join(root, 'unified');
  return { v2: existsSync(join(unified, 'cgroup.controllers')) ? unified : null, v1: root };
};

export interface ProcessCgroup {
  version: 1 | 2;
  /** the path inside its hierarchy, e.g. /system.slice/nginx.service */
  path: string;
  /** the directory on disk */
  dir: string;
}

/** v1 controllers in the order we prefer to read a process's group from. */
const v1Order = ['freezer', 'pids', 'memory', 'cpu,cpuacct', 'cpu', 'name=systemd'];

/**
 * Pure: a process's own (non-root) cgroup from its /proc/[pid]/cgroup text: the v2 one
 * when set, else the first non-root v1 one. Null when it sits in the root everywhere.
 */
export const processCgroup = (text: string, paths: CgroupPaths): ProcessCgroup | null => {
  const v1 = new Map<string, string>();
  let v2: string | null = null;
  for (const line of text.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line.trim());
    if (!m) continue;
    if (m[1] === '0' && m[2] === '') v2 = m[3]!;
    else for (const c of m[2]!.split(',')) v1.set(c, m[3]!), v1.set(m[2]!, m[3]!);
  }
  if (v2 !== null && v2 !== '/' && paths.v2 !== null) return { version: 2, path: v2, dir: join(paths.v2, v2) };
  for (const c of [...v1Order, ...v1.keys()]) {
    const p = v1.get(c);
    if (p !== undefined && p !== '/') return { version: 1, path: p, dir: join(paths.v1, c.replace(/^name=/, ''), p) };
  }
  return null;
};
