/**
 * `--snapshot DIR`: a private copy of DIR taken before the job, with a SHA-256 manifest,
 * and its restore. Layout under the snapshot's own directory (0700):
 *   manifest.json   the manifest of DIR at snapshot time (dir-manifest.ts)
 *   data/           the copy (files, directories, symlinks as links)
 *
 * Restoring never trusts the copy blindly: the copy is checked against the manifest
 * first (a corrupted or tampered snapshot leaves DIR as the job left it and fails), then
 * DIR is brought back entry by entry (what the job added is removed, what it changed or
 * removed is copied back, modes and, as root, owners reset), then DIR is read again and
 * must match the manifest exactly. Not restored: timestamps, hard links (each name
 * becomes its own file), extended attributes and ACLs, special files (fifos, sockets,
 * devices: recorded, never copied, so a snapshot holding one cannot be verified).
 */
import { chmodSync, copyFileSync, constants, lchownSync, lstatSync, mkdirSync, readFileSync, readdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Manifest, diffManifests, readManifest } from './dir-manifest.js';
import { ExecError } from '../errors.js';

export interface DirSnapshot {
  /** the directory snapshotted (resolved) */
  dir: string;
  /** where the snapshot lives */
  home: string;
  manifest: Manifest;
}

const isRoot = (): boolean => process.getuid?.() === 0;

/** Copies DIR into `home` (which must not exist) and writes its manifest. */
export const takeSnapshot = (dirArg: string, home: string): DirSnapshot => {
  let dir: string;
  try {
    dir = realpathSync(dirArg);
    if (!lstatSync(dir).isDirectory()) throw new Error('not a directory');
  } catch (err) {
    throw new ExecError('SNAPSHOT', `--snapshot ${dirArg}: ${(err as Error).message}`, { cause: err });
  }
  try {
    const manifest = readManifest(dir);
    const special = manifest.entries.find((e) => e.type === 'special');
    if (special) throw new Error(`${special.path} is a fifo, socket or device: a snapshot copies files, directories and symlinks only`);
    mkdirSync(join(home, 'data'), { recursive: true, mode: 0o700 });
    for (const e of manifest.entries) {
      const to = join(home, 'data', e.path);
      if (e.type === 'dir') mkdirSync(to, { mode: 0o700 });
      else if (e.type === 'symlink') symlinkSync(e.target!, to);
      else copyFileSync(join(dir, e.path), to, constants.COPYFILE_FICLONE);
    }
    writeFileSync(join(home, 'manifest.json'), JSON.stringify({ dir, manifest }), { mode: 0o600 });
    // The copy must be what the manifest says, or the snapshot is worthless from the start
    // (the job's DIR changed while it was copied: nothing runs yet, but others may write).
    const copied = diffManifests(manifest, { ...readManifest(join(home, 'data')), rootMode: manifest.rootMode }, 3).filter((d) => !/mode|owner/.test(d));
    if (copied.length > 0) throw new Error(`the copy differs from ${dir} (changed while copied?): ${copied.join('; ')}`);
    return { dir, home, manifest };
  } catch (err) {
    rmSync(home, { recursive: true, force: true });
    throw err instanceof ExecError ? err : new ExecError('SNAPSHOT', `--snapshot ${dirArg}: ${(err as Error).message}`, { cause: err });
  }
};

/** Content and kind only: the copy's modes and owners are private, the manifest holds the real ones. */
const contentDiff = (want: Manifest, copy: Manifest): string[] =>
  diffManifests(
    { rootMode: 0, entries: want.entries.map((e) => ({ ...e, mode: 0, uid: 0, gid: 0 })) },
    { rootMode: 0, entries: copy.entries.map((e) => ({ ...e, mode: 0, uid: 0, gid: 0 })) },
  );

/**
 * Restores `snap.dir` from the snapshot and verifies it. Throws an ExecError('RESTORE')
 * saying what failed; DIR is untouched when the snapshot itself does not verify.
 */
export const restoreSnapshot = (snap: DirSnapshot): void => {
  const data = join(snap.home, 'data');
  let want: Manifest;
  try {
    // The manifest on disk, not the one in memory: what an operator would restore from later.
    want = (JSON.parse(readFileSync(join(snap.home, 'manifest.json'), 'utf8')) as { manifest: Manifest }).manifest;
    if (!want || !Array.isArray(want.entries)) throw new Error('no entries');
    // The one in memory was taken before the job ran: a manifest rewritten since (by the
    // job, to match a tampered copy) is caught here.
    const rewritten = diffManifests(snap.manifest, want, 1);
    if (rewritten.length > 0) throw new Error(`it changed since the snapshot was taken (${rewritten[0]})`);
  } catch (err) {
    throw new ExecError('RESTORE', `snapshot of ${snap.dir} is unverifiable: its manifest cannot be trusted (${(err as Error).message})`, { cause: err });
  }
  const corrupt = contentDiff(want, readManifest(data));
  if (corrupt.length > 0) {
    throw new ExecError('RESTORE', `snapshot of ${snap.dir} does not match its manifest, ${snap.dir} left as the job left it: ${corrupt.join('; ')}`);
  }
  try {
    const wanted = new Map(want.entries.map((e) => [e.path, e]));
    // Make DIR and its directories writable while we work; final modes are set at the end.
    chmodSync(snap.dir, 0o700);
    const prune = (rel: string) => {
      for (const name of readdirSync(join(snap.dir, rel))) {
        const path = rel === '' ? name : `${rel}/${name}`;
        const full = join(snap.dir, path);
        const st = lstatSync(full);
        const w = wanted.get(path);
        const type = st.isSymbolicLink() ? 'symlink' : st.isDirectory() ? 'dir' : st.isFile() ? 'file' : 'special';
        if (!w || w.type !== type) rmSync(full, { recursive: true, force: true });
        else if (type === 'dir') {
          chmodSync(full, 0o700);
          prune(path);
        }
      }
    };
    prune('');
    for (const e of want.entries) {
      const to = join(snap.dir, e.path);
      const st = lstatSync(to, { throwIfNoEntry: false });
      if (e.type === 'dir') {
        if (!st) mkdirSync(to, { mode: 0o700 });
      } else if (e.type === 'symlink') {
        if (st) rmSync(to);
        symlinkSync(e.target!, to);
      } else {
        // Copy unconditionally: comparing first costs the same read, and a copy is certain.
        if (st) rmSync(to);
        copyFileSync(join(data, e.path), to, constants.COPYFILE_FICLONE);
      }
    }
    // Owners and modes last, deepest first, so a read-only directory is closed only once filled.
    for (const e of want.entries.slice().reverse()) {
      const to = join(snap.dir, e.path);
      if (isRoot()) lchownSync(to, e.uid, e.gid);
      if (e.type !== 'symlink') chmodSync(to, e.mode);
    }
    chmodSync(snap.dir, want.rootMode);
  } catch (err) {
    throw new ExecError('RESTORE', `restoring ${snap.dir} failed: ${(err as Error).message}`, { cause: err });
  }
  const left = diffManifests(want, readManifest(snap.dir));
  if (left.length > 0) throw new ExecError('RESTORE', `${snap.dir} does not match its snapshot after the restore: ${left.join('; ')}`);
};

/** Deletes the snapshot (after a job that needed no restore, or a verified restore). */
export const discardSnapshot = (snap: DirSnapshot): void => rmSync(snap.home, { recursive: true, force: true });
