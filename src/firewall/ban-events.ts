/**
 * The `ban_events` repository: one row per ban put in force, kept for the recidive
 * window (at most MAX_RECIDIVE_WINDOW_MS): how many times an address was banned lately.
 */
import type { Db } from '../storage/schema.js';
import { StorageError } from '../errors.js';
import { MAX_RECIDIVE_WINDOW_MS } from './recidive.js';

const wrap = async <T>(what: string, f: () => Promise<T>): Promise<T> => {
  try {
    return await f();
  } catch (err) {
    throw new StorageError(`ban_events: ${what}: ${(err as Error).message}`, { cause: err });
  }
};

/** Bans of each of `targets` at or after `since`, by target (absent: none). */
export const recentBanCounts = (db: Db, targets: readonly string[], since: number): Promise<Map<string, number>> =>
  wrap('read', async () => {
    const out = new Map<string, number>();
    for (let i = 0; i < targets.length; i += 500) {
      const rows = await db
        .selectFrom('ban_events')
        .select(['ip', (eb) => eb.fn.countAll<number>().as('n')])
        .where('ip', 'in', targets.slice(i, i + 500))
        .where('ts', '>=', since)
        .groupBy('ip')
        .execute();
      for (const r of rows) out.set(r.ip, Number(r.n));
    }
    return out;
  });

/** Records bans put in force at `ts`; drops those addresses' events older than the longest window. */
export const recordBanEvents = (db: Db, targets: readonly string[], ts: number): Promise<void> =>
  targets.length === 0
    ? Promise.resolve()
    : wrap('write', () =>
        db.transaction().execute(async (tx) => {
          for (let i = 0; i < targets.length; i += 500) {
            const part = targets.slice(i, i + 500);
            await tx.deleteFrom('ban_events').where('ip', 'in', part).where('ts', '<', ts - MAX_RECIDIVE_WINDOW_MS).execute();
            await tx.insertInto('ban_events').values(part.map((ip) => ({ ip, ts }))).execute();
          }
        }),
      );
