/**
 * Write-behind for the outbox's bookkeeping (attempt started, retry scheduled, row
 * delivered): the writes issued during one turn of the event loop run together in one
 * transaction, in the order they were issued, after the sends have gone out. A burst of
 * 3,000 deliveries costs a few commits instead of 6,000, and no send waits for SQLite.
 *
 * Losing a pending batch to a crash is safe: the rows are still in the outbox as
 * pending or delivering, so they are sent again (at-least-once).
 */
import type { Db } from '../storage/schema.js';
import type { Logger } from '../log/logger.js';

export type WriteOp = (db: Db) => Promise<unknown>;

export interface WriteBehind {
  /** Queues a write; `what` names it in the log if the batch fails. */
  push(what: string, op: WriteOp): void;
  /** Resolves when every queued write has been attempted. */
  settled(): Promise<void>;
  /** writes queued or running */
  readonly pending: number;
}

export const createWriteBehind = (db: Db, logger: Logger, onSettled: () => void = () => {}): WriteBehind => {
  let queue: { what: string; op: WriteOp }[] = [];
  let running: Promise<void> | null = null;
  let scheduled = false;
  let inBatch = 0;
  let waiters: (() => void)[] = [];

  const settle = (): void => {
    if (queue.length || running || scheduled) return;
    const w = waiters;
    waiters = [];
    for (const f of w) f();
    onSettled();
  };

  const run = async (): Promise<void> => {
    scheduled = false;
    const batch = queue;
    queue = [];
    inBatch = batch.length;
    try {
      await db.transaction().execute(async (trx) => {
        for (const { op } of batch) await op(trx);
      });
    } catch (err) {
      logger.error('outbox write failed', { writes: [...new Set(batch.map((b) => b.what))].join(','), error: (err as Error).message });
    }
    inBatch = 0;
  };

  const kick = (): void => {
    if (running || scheduled || queue.length === 0) return;
    scheduled = true;
    // setImmediate: let every send of this turn go out first, then write once.
    setImmediate(() => {
      running = run().finally(() => {
        running = null;
        if (queue.length) kick();
        settle();
      });
    });
  };

  return {
    push: (what, op) => {
      queue.push({ what, op });
      kick();
    },
    settled: () => (queue.length || running || scheduled ? new Promise<void>((r) => waiters.push(r)) : Promise.resolve()),
    get pending() {
      return queue.length + inBatch;
    },
  };
};
