/**
 * A process's CPU cap through its cgroup: `cpu.max` on cgroup v2, `cpu.cfs_quota_us` on
 * the v1 cpu controller, whichever the host has for that process (hybrid hosts mount
 * v1 controllers beside a v2 tree that may hold no cpu controller at all).
 *
 * The cap applies to the whole cgroup, so it is refused (and the caller falls back to a
 * duty cycle on the one process) when the cgroup is the root one (no quota there), holds
 * a process that must never be touched (an sshd, PanicMode itself: `spare`), or cannot
 * be written. A cgroup already capped tighter is left as it is. `restore` puts back the
 * value found, so lifting a cap leaves the cgroup as the operator had it.
 *
 * Which process is in which cgroup, and where the cgroup filesystems are mounted, come
 * through the Host's proc root; the limit files are then read and written where
 * PanicMode sees them mounted.
 */
import { readFile, writeFile, access } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parseCgroupLayout } from '../exec/cgroup-layout.js';
import type { Host } from '../host/host.js';

/** The v1 cpu period and v2 default period, µs. */
export const CPU_PERIOD_US = 100_000;
/** The kernel refuses a quota under 1 ms. */
const MIN_QUOTA_US = 1_000;

/** A writable CPU limit for one cgroup. */
export interface CpuLimitFile {
  version: 1 | 2;
  /** the cgroup's directory */
  dir: string;
}

const exists = (path: string) => access(path).then(() => true, () => false);
/** A root cgroup is the top of its mount: its parent is not a cgroup (no cgroup.procs). */
const isRootCgroup = async (dir: string) => !(await exists(join(dirname(dir), 'cgroup.procs')));

/**
 * The cpu limit of the cgroup `pid` is in, or why there is none (the root cgroup, no
 * cpu controller for it). Where its cgroups are comes from PanicMode's own mountinfo
 * and the process's cgroup file (exec/cgroup-layout.ts: hybrid, v1, pure v2, bind
 * mounts); v2 is preferred where its cgroup has the cpu controller (a `cpu.max`).
 */
export const locateCpuLimit = async (host: Host, pid: number): Promise<CpuLimitFile | string> => {
  let layout;
  try {
    layout = parseCgroupLayout(host.readProcSync(host.pid, 'mountinfo'), host.readProcSync(pid, 'cgroup'));
  } catch {
    return `pid ${pid} is gone`;
  }
  let inRoot = false;
  for (const [version, dir, file] of [[2, layout.v2, 'cpu.max'], [1, layout.v1.cpu, 'cpu.cfs_quota_us']] as const) {
    if (!dir) continue;
    if (await isRootCgroup(dir)) inRoot = true;
    else if (await exists(join(dir, file))) return { version, dir };
  }
  return inRoot ? 'the process is in the root cgroup (no quota there)' : 'no cpu controller for its cgroup';
};

/** The pids in a cgroup (its `cgroup.procs`). */
export const cgroupMembers = async (file: CpuLimitFile): Promise<number[]> =>
  (await readFile(join(file.dir, 'cgroup.procs'), 'utf8')).split('\n').filter(Boolean).map(Number);

/** Pure: the quota in µs per period for a share of one CPU (0.25 → 25 000 of 100 000). */
export const quotaFor = (share: number, periodUs = CPU_PERIOD_US): number => Math.max(MIN_QUOTA_US, Math.round(share * periodUs));

/** Pure: the share of one CPU a v2 `cpu.max` value allows, or null for `max`. */
export const parseCpuMax = (text: string): number | null => {
  const [quota, period] = text.trim().split(/\s+/);
  return quota === 'max' || quota === undefined ? null : Number(quota) / Number(period ?? CPU_PERIOD_US);
};

/** How to put a cgroup's limit back as it was. */
export interface AppliedCap {
  file: CpuLimitFile;
  /** the previous content of the limit file(s), written back by `restore` */
  previous: string;
  /** false when the cgroup was already capped at or under the share (nothing written) */
  written: boolean;
}

/**
 * Caps the cgroup at `share` of one CPU. Rejects with the fs error when the file cannot
 * be written (EACCES in a container without cgroup write access, EROFS, EINVAL).
 */
export const applyCpuCap = async (file: CpuLimitFile, share: number): Promise<AppliedCap> => {
  if (file.version === 2) {
    const path = join(file.dir, 'cpu.max');
    const previous = (await readFile(path, 'utf8')).trim();
    const now = parseCpuMax(previous);
    if (now !== null && now <= share) return { file, previous, written: false };
    const period = Number(previous.split(/\s+/)[1]) || CPU_PERIOD_US;
    await writeFile(path, `${quotaFor(share, period)} ${period}`);
    return { file, previous, written: true };
  }
  const quotaPath = join(file.dir, 'cpu.cfs_quota_us');
  const previous = (await readFile(quotaPath, 'utf8')).trim();
  const period = Number((await readFile(join(file.dir, 'cpu.cfs_period_us'), 'utf8')).trim()) || CPU_PERIOD_US;
  if (Number(previous) > 0 && Number(previous) / period <= share) return { file, previous, written: false };
  await writeFile(quotaPath, String(quotaFor(share, period)));
  return { file, previous, written: true };
};

/** Puts the limit back as `applyCpuCap` found it; a cgroup that is gone has nothing to restore. */
export const restoreCpuCap = async (cap: AppliedCap): Promise<void> => {
  if (!cap.written) return;
  const path = join(cap.file.dir, cap.file.version === 2 ? 'cpu.max' : 'cpu.cfs_quota_us');
  try {
    await writeFile(path, cap.previous);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
};
