/**
 * What a directory holds, entry by entry, with a SHA-256 of every regular file: the
 * record a snapshot is verified against before it is restored, and the restored
 * directory after. Symlinks are recorded as links (their target text), never followed.
 * Special files (fifos, sockets, devices) are listed as such and not copied.
 */
import { closeSync, lstatSync, openSync, readSync, readdirSync, readlinkSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';

export interface ManifestEntry {
  /** relative to the directory, `/`-separated; '' is never listed (the directory itself) */
  path: string;
  type: 'dir' | 'file' | 'symlink' | 'special';
  /** permission bits (07777) */
  mode: number;
  uid: number;
  gid: number;
  /** files: hex SHA-256 of the content */
  sha256?: string;
  size?: number;
  /** symlinks: the target as written */
  target?: string;
}

export interface Manifest {
  /** the directory's own permission bits */
  rootMode: number;
  /** sorted by path: a parent always comes before what it holds */
  entries: ManifestEntry[];
}

const CHUNK = 1 << 20;

export const sha256File = (file: string): string => {
  const hash = createHash('sha256');
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    for (let n = readSync(fd, buf, 0, CHUNK, null); n > 0; n = readSync(fd, buf, 0, CHUNK, null)) hash.update(buf.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
};

export const readManifest = (dir: string): Manifest => {
  const entries: ManifestEntry[] = [];
  const walk = (rel: string) => {
    for (const name of readdirSync(join(dir, rel)).sort()) {
      const path = rel === '' ? name : `${rel}/${name}`;
      const full = join(dir, path);
      const st = lstatSync(full);
      const base = { path, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
      if (st.isSymbolicLink()) entries.push({ ...base, type: 'symlink', target: readlinkSync(full) });
      else if (st.isDirectory()) {
        entries.push({ ...base, type: 'dir' });
        walk(path);
      } else if (st.isFile()) entries.push({ ...base, type: 'file', size: st.size, sha256: sha256File(full) });
      else entries.push({ ...base, type: 'special' });
    }
  };
  walk('');
  return { rootMode: lstatSync(dir).mode & 0o7777, entries };
};

/** Pure: the first differences between two manifests, in words (empty when equal). */
export const diffManifests = (want: Manifest, got: Manifest, max = 5): string[] => {
  const out: string[] = [];
  if (want.rootMode !== got.rootMode) out.push(`the directory's mode is ${got.rootMode.toString(8)}, was ${want.rootMode.toString(8)}`);
  const have = new Map(got.entries.map((e) => [e.path, e]));
  for (const w of want.entries) {
    const g = have.get(w.path);
    have.delete(w.path);
    if (!g) out.push(`${w.path}: missing`);
    else if (g.type !== w.type) out.push(`${w.path}: a ${g.type}, was a ${w.type}`);
    else if (w.type === 'file' && g.sha256 !== w.sha256) out.push(`${w.path}: content differs (sha256 ${g.sha256!.slice(0, 12)}…, was ${w.sha256!.slice(0, 12)}…)`);
    else if (w.type === 'symlink' && g.target !== w.target) out.push(`${w.path}: points to ${g.target}, was ${w.target}`);
    else if (w.type !== 'symlink' && g.mode !== w.mode) out.push(`${w.path}: mode ${g.mode.toString(8)}, was ${w.mode.toString(8)}`);
    else if (g.uid !== w.uid || g.gid !== w.gid) out.push(`${w.path}: owner ${g.uid}:${g.gid}, was ${w.uid}:${w.gid}`);
  }
  for (const path of have.keys()) out.push(`${path}: not in the snapshot`);
  return out.slice(0, max);
};
