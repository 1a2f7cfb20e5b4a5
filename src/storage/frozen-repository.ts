/**
 * The frozen-processes table: written after the fact by the frozen registry (protection
 * never waits on it), read once at start so `ctl frozen` / `ctl thaw` still know the
 * processes a previous run of the agent stopped.
 */
import type { Db, FrozenProcessesTable } from './schema.js';

export type FrozenRow = FrozenProcessesTable;

export const saveFrozen = async (db: Db, rows: readonly FrozenRow[]): Promise<void> => {
  if (rows.length === 0) return;
  await db
    .insertInto('frozen_processes')
    .values([...rows])
    .onConflict((oc) => oc.columns(['pid', 'start_ticks']).doNothing())
    .execute();
};

export const deleteFrozen = async (db: Db, keys: readonly { pid: number; start_ticks: number }[]): Promise<void> => {
  for (const k of keys) await db.deleteFrom('frozen_processes').where('pid', '=', k.pid).where('start_ticks', '=', k.start_ticks).execute();
};

export const loadFrozen = (db: Db): Promise<FrozenRow[]> => db.selectFrom('frozen_processes').selectAll().orderBy('frozen_at').execute();
