/**
 * Filesystem usage of every real mount: the mount table from `<procroot>/self/mounts`
 * (falling back to `<procroot>/mounts`), then `statfs` of each mount point.
 *
 * Kept out (decisions, after node_exporter's default exclusions):
 * - pseudo filesystems (proc, sysfs, cgroup, ...): they have no space to run out of;
 * - read-only mounts: they cannot fill up, and some (snaps, ISO images, config maps
 *   in containers) read 100% full forever, which would alert for nothing;
 * - a block device mounted twice (bind mounts): its first mount only, so one full
 *   disk is one incident.
 * Kept in: tmpfs (a full /run or /dev/shm breaks services) and overlay (the root of a
 * container is one).
 */
import type { Host } from '../host/host.js';
import type { DiskUsageSample, MountUsage } from '../model/metrics.js';
import type { PeriodicCollector } from './collector.js';
import { isNoDataError } from './collector.js';

export interface MountEntry {
  device: string;
  mountPoint: string;
  fsType: string;
  options: string[];
}

/** Filesystem types that hold no user data. */
export const pseudoFilesystems: ReadonlySet<string> = new Set([
  'autofs', 'binfmt_misc', 'bpf', 'cgroup', 'cgroup2', 'configfs', 'debugfs', 'devpts', 'devtmpfs', 'efivarfs',
  'fusectl', 'hugetlbfs', 'mqueue', 'nsfs', 'proc', 'procfs', 'pstore', 'ramfs', 'rpc_pipefs', 'securityfs',
  'selinuxfs', 'squashfs', 'sysfs', 'tracefs', 'iso9660', 'erofs', 'fuse.lxcfs', 'fuse.gvfsd-fuse', 'fuse.portal',
  'nfsd', 'rootfs',
]);

/** Decodes the octal escapes the kernel writes in mount paths (`\040` space, `\011` tab, `\012`, `\134`). */
export const decodeMountPath = (s: string): string =>
  s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));

/** Pure: parses a mounts file (fstab format). Malformed lines are skipped. */
export const parseMounts = (text: string): MountEntry[] => {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const parts = line.split(' ');
    if (parts.length < 4) continue;
    out.push({
      device: decodeMountPath(parts[0]),
      mountPoint: decodeMountPath(parts[1]),
      fsType: parts[2],
      options: parts[3].split(','),
    });
  }
  return out;
};

/**
 * Pure: the mounts worth watching, in table order: no pseudo filesystems, no read-only
 * mounts, and each block device (a device that is a path) once. Devices that are not
 * paths (`tmpfs`, `overlay`) are told apart by mount point instead.
 */
export const selectMounts = (mounts: MountEntry[]): MountEntry[] => {
  const seen = new Set<string>();
  const out: MountEntry[] = [];
  for (const m of mounts) {
    if (pseudoFilesystems.has(m.fsType)) continue;
    if (m.options.includes('ro')) continue;
    const key = m.device.startsWith('/') ? `dev:${m.device}` : `mnt:${m.mountPoint}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(m);
  }
  return out;
};

/** Pure: one mount's usage from statfs figures, like df: used / (used + available). */
export const mountUsage = (
  m: MountEntry,
  s: { totalBytes: number; availableBytes: number; freeBytes: number },
): MountUsage => {
  const used = Math.max(0, s.totalBytes - s.freeBytes);
  // Blocks reserved for root are neither used nor available to users: df leaves them out.
  const denom = used + s.availableBytes;
  return {
    mountPoint: m.mountPoint,
    device: m.device,
    fsType: m.fsType,
    totalBytes: s.totalBytes,
    usedBytes: used,
    availableBytes: s.availableBytes,
    usagePercent: denom > 0 ? (used / denom) * 100 : 0,
  };
};

/** Reads the mount table: `<procroot>/self/mounts`, or `<procroot>/mounts` where self is missing. */
export const readMountTable = async (host: Host): Promise<MountEntry[]> => {
  try {
    return parseMounts(host.readProcSync('self', 'mounts'));
  } catch (err) {
    if (!isNoDataError(err)) throw err;
    return parseMounts(host.readProcSync('mounts'));
  }
};

/**
 * Reads usage of every selected mount. A mount whose statfs fails (stale NFS, a path
 * that vanished, no permission) is left out of this tick rather than failing the rest.
 * Empty filesystems (0 bytes: autofs placeholders) are left out too.
 */
export const readDiskUsage = async (host: Host): Promise<DiskUsageSample> => {
  const mounts = selectMounts(await readMountTable(host));
  const usages = await Promise.all(
    mounts.map(async (m) => {
      try {
        const s = await host.statfs(m.mountPoint);
        return s.totalBytes > 0 ? mountUsage(m, s) : null;
      } catch {
        return null;
      }
    }),
  );
  return { mounts: usages.filter((u): u is MountUsage => u !== null) };
};

/** The disk (usage) collector. */
/**
 * Default interval of the disk usage collector: a filesystem fills over minutes, and
 * statfs on a network mount can be slow; once a minute is soon enough.
 */
export const DEFAULT_DISK_USAGE_INTERVAL_MS = 60_000;

export const createDiskUsageCollector = (options: { intervalMs?: number } = {}): PeriodicCollector<'disk', DiskUsageSample> => ({
  name: 'disk',
  intervalMs: options.intervalMs ?? DEFAULT_DISK_USAGE_INTERVAL_MS,
  read: readDiskUsage,
  derive: (_prev, cur) => cur,
});
