/**
 * The dedup state in SQLite, so a restart does not re-send alerts for incidents that
 * were already alerted within the window.
 */
import type { Db } from './schema.js';

/** key → last time it passed dedup (unix ms), for keys seen within `windowMs` of `now`. */
export const loadDedupState = async (db: Db, now: number, windowMs: number): Promise<Map<string, number>> => {
  const rows = await db.selectFrom('dedup_state').selectAll().where('last_seen', '>=', now - windowMs).execute();
  return new Map(rows.map((r) => [r.incident_key, r.last_seen]));
};

export const saveDedupEntry = async (db: Db, key: string, ts: number): Promise<void> => {
  await db
    .insertInto('dedup_state')
    .values({ incident_key: key, last_seen: ts, count: 1 })
    .onConflict((oc) => oc.column('incident_key').doUpdateSet((eb) => ({ last_seen: ts, count: eb('dedup_state.count', '+', 1) })))
    .execute();
};

export const deleteDedupEntry = async (db: Db, key: string): Promise<void> => {
  await db.deleteFrom('dedup_state').where('incident_key', '=', key).execute();
};

/** Drops entries older than the window; run at start so the table stays small. */
export const pruneDedupState = async (db: Db, now: number, windowMs: number): Promise<void> => {
  await db.deleteFrom('dedup_state').where('last_seen', '<', now - windowMs).execute();
};
