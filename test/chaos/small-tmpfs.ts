/**
 * A small tmpfs for the full-disk scenarios: mounted on a fresh temp dir, filled to the
 * last byte, unmounted (and its mount point removed) by the caller's cleanup. Where
 * mounting is not permitted (no root, a container without CAP_SYS_ADMIN) it says so.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmdirSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SmallTmpfs {
  path: string;
  unmount(): void;
}

/** The mounted tmpfs, or why it could not be mounted (the reason to skip). */
export const mountSmallTmpfs = (size: string): SmallTmpfs | string => {
  const path = mkdtempSync(join(tmpdir(), 'pm-chaos-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', path], { stdio: 'pipe' });
  } catch (err) {
    rmdirSync(path);
    const why = String((err as { stderr?: Buffer }).stderr ?? (err as Error).message).trim();
    return `mounting a ${size} tmpfs is not permitted here (${why || 'mount failed'}): the full-disk scenario needs root or CAP_SYS_ADMIN`;
  }
  let mounted = true;
  return {
    path,
    unmount: () => {
      if (!mounted) return;
      // lazy: a process killed a moment ago may still hold a descriptor
      execFileSync('umount', ['-l', path], { stdio: 'pipe' });
      mounted = false;
      rmdirSync(path);
    },
  };
};

/** Writes a filler file until the filesystem refuses (ENOSPC); the bytes it took. */
export const fillDisk = (dir: string): number => {
  const fd = openSync(join(dir, 'filler'), 'w');
  const block = Buffer.alloc(4096, 0x5a);
  let written = 0;
  try {
    for (;;) written += writeSync(fd, block);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
  // the last partial block
  try {
    const fd2 = openSync(join(dir, 'filler-tail'), 'w');
    try {
      for (;;) written += writeSync(fd2, Buffer.alloc(1));
    } finally {
      closeSync(fd2);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  }
  return written;
};
