/**
 * Changes under the watched paths, from inotify through `fs.watch` (the edge of the
 * file_monitor rule; file-change-incidents.ts counts what it emits).
 *
 * Every watch is a directory watch. A file is watched through its parent directory,
 * filtered to its name, so a file replaced by a rename (editors, dpkg, `useradd` write a
 * new file and rename it over the old one) stays watched: a watch on the file itself
 * would follow the old inode out of the tree and see nothing more. A directory is
 * watched for its entries; with `recursive`, every directory below it too, including
 * directories created (or moved in) later, whose entries are reported as added.
 *
 * inotify only says "an entry was renamed/created/deleted" (fs.watch's `rename`) or
 * "changed" (`change`); the kind is read back from the file system and from what was
 * known before: a path that exists is `added` when it was unknown and `modified` when it
 * was known (a write, or a replacement); a known path that is gone is `removed`. A file
 * created and deleted before its first event is handled was never seen, and is not
 * reported. Symbolic links are not followed (a link to / would watch the host).
 *
 * A path that cannot be watched — its directory missing or unreadable (/root/.ssh for a
 * non-root agent), or inotify's watch limit reached — is skipped with `onSkipped`, and
 * the others are watched; a watcher that fails later errors the stream with a
 * CollectorError (the agent's supervision retries with backoff, which sets every watch
 * up again).
 */
import { watch, lstatSync, readdirSync, type FSWatcher } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { Observable } from 'rxjs';
import { CollectorError } from '../errors.js';
import type { FileChange, FileChangeKind } from './file-change.js';

export interface WatchFilesOptions {
  /** files and directories */
  paths: readonly string[];
  /** watch the directories among `paths` with every directory below them */
  recursive: boolean;
  /** a path that cannot be watched, and why */
  onSkipped?: (path: string, reason: string) => void;
}

interface DirWatch {
  watcher: FSWatcher;
  /** the entry names that matter; null: every entry */
  names: Set<string> | null;
  /** new subdirectories are watched too */
  recursive: boolean;
}

const inodeOf = (path: string): number | undefined => {
  try {
    return lstatSync(path).ino;
  } catch {
    return undefined;
  }
};

const isDirectory = (path: string): boolean => {
  try {
    return lstatSync(path).isDirectory();
  } catch {
    return false;
  }
};

/** Why `dir` cannot be watched as a directory, in words; undefined when it can be. */
const directoryProblem = (dir: string): string | undefined => {
  try {
    return lstatSync(dir).isDirectory() ? undefined : `${dir} is not a directory`;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? `its directory ${dir} does not exist` : `${dir} cannot be read (${code ?? (err as Error).message})`;
  }
};

/** `fs.watch`'s failure in words: ENOSPC there means inotify's watch limit, not a full disk. */
const watchProblem = (dir: string, err: unknown): string => {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC') return `cannot watch ${dir}: inotify's watch limit is reached (sysctl fs.inotify.max_user_watches)`;
  return `cannot watch ${dir} (${code ?? (err as Error).message})`;
};

export const watchFiles$ = (options: WatchFilesOptions): Observable<FileChange> =>
  new Observable<FileChange>((subscriber) => {
    const dirs = new Map<string, DirWatch>();
    /** path → inode of every entry the watches cover, as last seen */
    const known = new Map<string, number>();
    const emit = (path: string, kind: FileChangeKind) => subscriber.next({ path, kind });

    const unwatchBelow = (path: string) => {
      for (const [dir, w] of dirs) {
        if (dir !== path && !dir.startsWith(path + '/')) continue;
        w.watcher.close();
        dirs.delete(dir);
      }
      for (const p of known.keys()) if (p.startsWith(path + '/')) known.delete(p);
    };

    const onEvent = (dir: string, name: string | null) => {
      const w = dirs.get(dir);
      if (!w || name === null || (w.names && !w.names.has(name))) return;
      const path = join(dir, name);
      const was = known.get(path);
      const ino = inodeOf(path);
      if (ino === undefined) {
        if (was === undefined) return;
        known.delete(path);
        unwatchBelow(path);
        emit(path, 'removed');
        return;
      }
      known.set(path, ino);
      if (was !== undefined) {
        emit(path, 'modified');
        // a directory renamed over this one: the old watch went with the old inode
        if (was !== ino && w.recursive && isDirectory(path)) {
          unwatchBelow(path);
          watchTree(path, true);
        }
        return;
      }
      emit(path, 'added');
      if (w.recursive && isDirectory(path)) watchTree(path, true);
    };

    /** Watches `dir` for `names` (null: every entry); false (and `onSkipped`) when it cannot be watched. */
    const watchDir = (dir: string, names: Set<string> | null, recursive: boolean, skippedAs = dir): boolean => {
      const existing = dirs.get(dir);
      if (existing) {
        existing.names = existing.names && names ? new Set([...existing.names, ...names]) : null;
        existing.recursive ||= recursive;
        return true;
      }
      let watcher: FSWatcher;
      try {
        watcher = watch(dir, (_type, name) => onEvent(dir, name));
      } catch (err) {
        options.onSkipped?.(skippedAs, watchProblem(dir, err));
        return false;
      }
      watcher.on('error', (err) => subscriber.error(new CollectorError('file_monitor', `watching ${dir} failed: ${err.message}`, { cause: err })));
      dirs.set(dir, { watcher, names, recursive });
      return true;
    };

    /** Records the entries of `dir` as known, without reporting them. */
    const rememberEntries = (dir: string) => {
      let names: string[];
      try {
        names = readdirSync(dir);
      } catch {
        return; // unreadable: its entries are seen as they change
      }
      for (const name of names) {
        const ino = inodeOf(join(dir, name));
        if (ino !== undefined) known.set(join(dir, name), ino);
      }
    };

    /** Watches `dir` (and, recursively, the directories below); `announce` reports what is inside as added. */
    const watchTree = (dir: string, announce: boolean) => {
      if (!watchDir(dir, null, true)) return;
      let entries;
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch {
        return; // gone again: its parent's watch reports it
      }
      for (const e of entries) {
        const path = join(dir, e.name);
        const ino = inodeOf(path);
        if (ino === undefined || known.has(path)) continue;
        known.set(path, ino);
        if (announce) emit(path, 'added');
        if (e.isDirectory()) watchTree(path, announce);
      }
    };

    for (const p of options.paths.map((x) => resolve(x))) {
      if (isDirectory(p)) {
        if (options.recursive) watchTree(p, false);
        else if (watchDir(p, null, false)) rememberEntries(p);
        continue;
      }
      const parent = dirname(p);
      const problem = directoryProblem(parent);
      if (problem) {
        options.onSkipped?.(p, problem);
        continue;
      }
      if (!watchDir(parent, new Set([basename(p)]), false, p)) continue;
      const ino = inodeOf(p);
      if (ino !== undefined) known.set(p, ino);
    }
    return () => {
      for (const w of dirs.values()) w.watcher.close();
      dirs.clear();
    };
  });
