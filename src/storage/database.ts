/**
 * Opens the SQLite database (better-sqlite3 through kysely, WAL) and applies the
 * migrations. When the file cannot be opened or written, falls back to an in-memory
 * database and says why, so the agent keeps detecting and alerting (and alerts about it).
 *
 * The database is private (0600 in a 0700 directory) from the moment it exists: it holds
 * the user names attackers tried, sometimes a password typed into the user field.
 */
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import { chmodSync, closeSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Database, Db } from './schema.js';
import { migrationProvider } from './migrations/index.js';
import { StorageError } from '../errors.js';
import { ensurePrivateDir } from '../config/state-dir.js';

export interface OpenedDatabase {
  db: Db;
  /** The raw handle, for the few hot paths that want prepared statements. */
  sqlite: BetterSqlite3.Database;
  /** The file in use, or ':memory:' after a fallback. */
  path: string;
  /** Set when the requested file could not be used and memory took its place. */
  fallbackReason: string | null;
  close(): Promise<void>;
}

/**
 * Makes the database file exist as 0600 before SQLite opens it (SQLite creates its -wal
 * and -shm with the database file's mode), and tightens files an older version left
 * readable to everyone.
 */
const makePrivate = (path: string): void => {
  ensurePrivateDir(dirname(path));
  try {
    closeSync(openSync(path, 'wx', 0o600));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    const st = statSync(file, { throwIfNoEntry: false });
    if (st && (st.mode & 0o077) !== 0 && st.uid === process.getuid?.()) chmodSync(file, 0o600);
  }
};

const openSqlite = (path: string): BetterSqlite3.Database => {
  if (path !== ':memory:') makePrivate(path);
  const sqlite = new BetterSqlite3(path);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('busy_timeout = 5000');
  // Proves the file is writable now rather than at the first incident.
  sqlite.exec('CREATE TABLE IF NOT EXISTS _panicmode_probe (x INTEGER); DROP TABLE _panicmode_probe;');
  return sqlite;
};

const migrate = async (db: Db): Promise<void> => {
  const migrator = new Migrator({ db, provider: migrationProvider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new StorageError(`migration ${failed} failed: ${(error as Error).message}`, { cause: error });
  }
};

const wrap = async (sqlite: BetterSqlite3.Database, path: string, fallbackReason: string | null): Promise<OpenedDatabase> => {
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  await migrate(db);
  return {
    db,
    sqlite,
    path,
    fallbackReason,
    close: async () => {
      await db.destroy();
    },
  };
};

/** Opens `path` (or ':memory:'); never throws for an unusable file, falls back instead. */
export const openDatabase = async (path: string): Promise<OpenedDatabase> => {
  try {
    return await wrap(openSqlite(path), path, null);
  } catch (err) {
    const reason = `cannot use ${path}: ${(err as Error).message}`;
    return wrap(openSqlite(':memory:'), ':memory:', reason);
  }
};

/** Opens a database that must exist and be usable (the CLI's read commands). */
export const openDatabaseStrict = async (path: string): Promise<OpenedDatabase> => {
  try {
    return await wrap(openSqlite(path), path, null);
  } catch (err) {
    throw new StorageError(`cannot open database ${path}: ${(err as Error).message}`, { cause: err });
  }
};
