/**
 * The `blocked_ips` repository: one row per banned address or prefix. Rows stay after a
 * ban is lifted (active = 0) so `ban_count` remembers repeat offenders.
 */
import type { Db, BlockedIpRow } from '../storage/schema.js';
import { StorageError } from '../errors.js';

export type BanRow = BlockedIpRow;

const wrap = async <T>(what: string, f: () => Promise<T>): Promise<T> => {
  try {
    return await f();
  } catch (err) {
    throw new StorageError(`blocked_ips: ${what}: ${(err as Error).message}`, { cause: err });
  }
};

/** SQLite caps bound parameters per statement; 500 keeps far below every build's limit. */
const CHUNK = 500;
const chunks = <T>(items: readonly T[]): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
};

/** Rows for these targets (active or not). */
export const findBans = (db: Db, targets: readonly string[]): Promise<BanRow[]> =>
  wrap('read', async () => {
    const out: BanRow[] = [];
    for (const part of chunks(targets)) out.push(...(await db.selectFrom('blocked_ips').selectAll().where('ip', 'in', part).execute()));
    return out;
  });

/** Bans in force according to the database (expired ones included until marked inactive). */
export const activeBans = (db: Db): Promise<BanRow[]> =>
  wrap('read', () => db.selectFrom('blocked_ips').selectAll().where('active', '=', 1).orderBy('blocked_at').execute());

/**
 * Records the latest state of bans: new rows, rows re-activated with their new count and
 * expiry, or rows lifted (active = 0). One transaction, so a burst is all or nothing.
 */
export const saveBans = (db: Db, rows: readonly BanRow[]): Promise<void> =>
  rows.length === 0
    ? Promise.resolve()
    : wrap('write', async () => {
        await db.transaction().execute(async (tx) => {
          for (const row of rows) {
            await tx
              .insertInto('blocked_ips')
              .values(row)
              .onConflict((oc) =>
                oc.column('ip').doUpdateSet({
                  blocked_at: row.blocked_at,
                  expires_at: row.expires_at,
                  reason: row.reason,
                  ban_count: row.ban_count,
                  backend: row.backend,
                  active: row.active,
                }),
              )
              .execute();
          }
        });
      });
