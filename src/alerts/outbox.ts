/**
 * The durable alert outbox: plain async functions over the `alert_outbox` table.
 *
 * An alert is written once, as one row per (alert id, channel key), in one transaction.
 * A row's life: pending → delivering (one attempt) → deleted when delivered, or back to
 * pending with a later `next_attempt_at` after a failed attempt, until its attempts run
 * out. Critical rows are kept as `delivered`/`failed` until every channel of their alert
 * has settled (the dispatcher then deletes them, or keeps the failed ones when nobody
 * was reached); non-critical rows are deleted as soon as they settle, so the table holds
 * only what is still owed.
 */
import type { Db, NewOutboxRow, OutboxRow } from '../storage/schema.js';
import type { AlertMessage } from './alert.js';

export type OutboxState = 'pending' | 'delivering' | 'delivered' | 'failed';

/** One row to write: an alert for one channel key with its attempt budget. */
export interface OutboxTarget {
  key: string;
  /** retries after the first attempt: max_attempts = retries + 1 */
  retries: number;
}

export interface OutboxEntry {
  id: number;
  alertId: string;
  channel: string;
  severity: string;
  message: AlertMessage;
  attempts: number;
  maxAttempts: number;
  nextAttemptAt: number;
  state: OutboxState;
  lastError: string | null;
  createdAt: number;
}

/** Rows per INSERT: 10 bound columns each stays well under SQLite's 32766-variable limit. */
const INSERT_CHUNK = 1000;

const toEntry = (row: OutboxRow, message?: AlertMessage): OutboxEntry => ({
  id: row.id,
  alertId: row.alert_id,
  channel: row.channel,
  severity: row.severity,
  message: message ?? (JSON.parse(row.payload) as AlertMessage),
  attempts: row.attempts,
  maxAttempts: row.max_attempts,
  nextAttemptAt: row.next_attempt_at,
  state: row.state as OutboxState,
  lastError: row.last_error,
  createdAt: row.created_at,
});

/**
 * Writes alerts, each once per target, in ONE transaction (a burst of alerts costs one
 * commit). A (alert id, channel) pair already in the outbox is left as it is, so
 * enqueueing the same alert twice never delivers it twice. Returns the new rows.
 */
export const enqueueAlerts = async (
  db: Db,
  items: readonly { message: AlertMessage; targets: readonly OutboxTarget[] }[],
  now: number,
): Promise<OutboxEntry[]> => {
  const rows: NewOutboxRow[] = [];
  const messages = new Map<string, AlertMessage>();
  for (const { message, targets } of items) {
    const payload = JSON.stringify(message);
    messages.set(message.id, message);
    for (const t of targets) {
      rows.push({
        alert_id: message.id,
        channel: t.key,
        created_at: now,
        severity: message.severity,
        payload,
        attempts: 0,
        max_attempts: Math.max(1, t.retries + 1),
        next_attempt_at: now,
        state: 'pending',
        last_error: null,
      });
    }
  }
  if (rows.length === 0) return [];
  const written = await db.transaction().execute(async (trx) => {
    const out: OutboxRow[] = [];
    for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
      const chunk = await trx
        .insertInto('alert_outbox')
        .values(rows.slice(i, i + INSERT_CHUNK))
        .onConflict((oc) => oc.columns(['alert_id', 'channel']).doNothing())
        .returningAll()
        .execute();
      out.push(...chunk);
    }
    return out;
  });
  return written.map((row) => toEntry(row, messages.get(row.alert_id)));
};

/**
 * Every row still owed or kept (pending, delivering, delivered, failed), oldest first.
 * Rows whose payload is not readable JSON are returned apart (`corrupt`) to be removed.
 */
export const loadOutbox = async (db: Db): Promise<{ entries: OutboxEntry[]; corrupt: number[] }> => {
  const rows = await db.selectFrom('alert_outbox').selectAll().orderBy('id').execute();
  const entries: OutboxEntry[] = [];
  const corrupt: number[] = [];
  for (const row of rows) {
    try {
      entries.push(toEntry(row));
    } catch {
      corrupt.push(row.id);
    }
  }
  return { entries, corrupt };
};

/**
 * After a crash: an attempt cut short (`delivering`) did not count, so it goes back to
 * pending with that attempt given back (at-least-once: it may have reached the peer,
 * one duplicate at most). Kept `failed` rows (critical alerts nobody received) get a
 * fresh budget: every start tries them again.
 */
export const recoverOutbox = async (db: Db, now: number): Promise<{ interrupted: number; retried: number }> =>
  db.transaction().execute(async (trx) => {
    const interrupted = await trx
      .updateTable('alert_outbox')
      .set((eb) => ({ state: 'pending', attempts: eb('attempts', '-', 1) }))
      .where('state', '=', 'delivering')
      .executeTakeFirst();
    // attempts - 1 can only go below 0 if a row was marked delivering without counting.
    await trx.updateTable('alert_outbox').set({ attempts: 0 }).where('attempts', '<', 0).execute();
    const retried = await trx
      .updateTable('alert_outbox')
      .set({ state: 'pending', attempts: 0, next_attempt_at: now })
      .where('state', '=', 'failed')
      .executeTakeFirst();
    return { interrupted: Number(interrupted.numUpdatedRows), retried: Number(retried.numUpdatedRows) };
  });

/** An attempt starts: the row is `delivering` and the attempt is counted. */
export const markDelivering = async (db: Db, id: number, attempts: number): Promise<void> => {
  await db.updateTable('alert_outbox').set({ state: 'delivering', attempts }).where('id', '=', id).execute();
};

/** A failed attempt with retries left: back to pending, due at `nextAttemptAt`. */
export const markRetry = async (db: Db, id: number, nextAttemptAt: number, error: string): Promise<void> => {
  await db
    .updateTable('alert_outbox')
    .set({ state: 'pending', next_attempt_at: nextAttemptAt, last_error: error })
    .where('id', '=', id)
    .execute();
};

/** A settled row that is kept until its whole alert settles (critical alerts). */
export const markSettled = async (db: Db, id: number, state: 'delivered' | 'failed', error: string | null): Promise<void> => {
  await db.updateTable('alert_outbox').set({ state, last_error: error }).where('id', '=', id).execute();
};

/** Deletes rows (delivered, or given up). */
export const deleteRows = async (db: Db, ids: readonly number[]): Promise<void> => {
  if (ids.length === 0) return;
  await db.deleteFrom('alert_outbox').where('id', 'in', ids as number[]).execute();
};

/** Deletes every row of an alert (a critical alert that reached at least one channel). */
export const deleteAlert = async (db: Db, alertId: string): Promise<void> => {
  await db.deleteFrom('alert_outbox').where('alert_id', '=', alertId).execute();
};

/** Counts rows per state, for status output and tests. */
export const countOutbox = async (db: Db): Promise<Record<OutboxState, number>> => {
  const rows = await db
    .selectFrom('alert_outbox')
    .select(['state', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy('state')
    .execute();
  const out: Record<OutboxState, number> = { pending: 0, delivering: 0, delivered: 0, failed: 0 };
  for (const r of rows) out[r.state as OutboxState] = Number(r.n);
  return out;
};
