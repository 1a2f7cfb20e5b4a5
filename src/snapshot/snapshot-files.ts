/**
 * Snapshot files in `storage.snapshot_dir`: one JSON file per snapshot, named by the
 * incident's time and name (`snapshot-2026-12-01T01-02-03-456Z-cpu-saturated.json`), so
 * names sort by time and say what they are about; pruned to `storage.max_snapshots`.
 *
 * They hold every process's command line (which may carry a password someone passed as an
 * argument): each file is created 0600, and a directory PanicMode creates is 0700. An
 * existing directory keeps its mode (the operator may have chosen it; chmod-ing a shared
 * path like /tmp would be worse), its files are 0600 all the same.
 */
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const PREFIX = 'snapshot-';

/** Pure: the file name of a snapshot of the incident `incidentName` at `ts` (the `n`-th of that name and time from 0). */
export const snapshotFileName = (ts: number, incidentName: string, n = 0): string => {
  const time = new Date(ts).toISOString().replace(/[:.]/g, '-');
  const slug = incidentName.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60) || 'incident';
  return `${PREFIX}${time}-${slug}${n > 0 ? `-${n + 1}` : ''}.json`;
};

/**
 * Pure: the snapshot files to delete so that `keep` remain, the oldest first (names sort by
 * time). Only snapshot files count: `snapshot-*.json`, and `snapshot-*.txt` as PanicMode
 * wrote them before (ps/ss output: the same secrets); any other file is never touched.
 */
export const snapshotsToPrune = (names: readonly string[], keep: number): string[] => {
  const ours = names.filter((n) => n.startsWith(PREFIX) && (n.endsWith('.json') || n.endsWith('.txt'))).sort();
  return ours.slice(0, Math.max(0, ours.length - keep));
};

/** Writes a new snapshot file (never over another: a second one of the same name and time gets `-2`); its path. */
export const writeSnapshotFile = async (dir: string, ts: number, incidentName: string, text: string): Promise<string> => {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  for (let n = 0; ; n++) {
    const file = join(dir, snapshotFileName(ts, incidentName, n));
    try {
      await writeFile(file, text, { mode: 0o600, flag: 'wx' });
      return file;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || n >= 99) throw err;
    }
  }
};

/** Deletes the oldest snapshot files beyond `keep`; their names. */
export const pruneSnapshots = async (dir: string, keep: number): Promise<string[]> => {
  const gone = snapshotsToPrune(await readdir(dir), keep);
  await Promise.all(gone.map((n) => rm(join(dir, n), { force: true })));
  return gone;
};
