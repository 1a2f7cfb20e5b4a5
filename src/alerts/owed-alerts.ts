/**
 * Alerts owed to the operator, kept durable through a storm. The alert rate limit holds
 * a storm back in memory and lets one summary stand for it ("×N in 1m"); here every
 * alert owed (from the moment its incident is taken up) is counted per rate-limit key
 * in `alert_owed`, and counted off once the message that stands for it (itself, or a
 * summary) is in the outbox. So a kill -9 mid-storm loses nothing: the next start finds the count and
 * delivers it as one summary. Writes go through a write-behind (one transaction per
 * event-loop turn): a storm of 500 alerts costs a few commits.
 *
 * At-least-once, like the outbox: a crash between a summary's outbox write and its
 * counting-off sends that summary again at the next start.
 */
import { sql } from 'kysely';
import type { Db } from '../storage/schema.js';
import type { Logger } from '../log/logger.js';
import type { PendingAlert, RateLimitedAlert } from '../incidents/incident-flow.js';
import { createWriteBehind } from './write-behind.js';

export interface OwedAlert {
  key: string;
  /** the latest alert of the key: the summary's body */
  latest: PendingAlert;
  /** how many alerts of the key are owed */
  items: number;
}

export interface OwedAlerts {
  /** one more alert of `key` is owed; `alert` becomes the key's latest */
  owe(key: string, alert: PendingAlert, now: number): void;
  /** `alert` becomes the key's latest, if the key is owed (no count change) */
  describe(key: string, alert: PendingAlert): void;
  /** `items` alerts of `key` now stand in the outbox */
  settle(key: string, items: number): void;
  /** resolves when every write issued so far has been attempted */
  settled(): Promise<void>;
}

export const createOwedAlerts = (db: Db, logger: Logger): OwedAlerts => {
  const writes = createWriteBehind(db, logger);
  return {
    owe: (key, alert, now) =>
      writes.push('alert_owed', (w) =>
        w
          .insertInto('alert_owed')
          .values({ key, items: 1, latest: JSON.stringify(alert), updated_at: now })
          .onConflict((oc) =>
            oc.column('key').doUpdateSet({ items: sql`alert_owed.items + 1`, latest: sql`excluded.latest`, updated_at: sql`excluded.updated_at` }),
          )
          .execute(),
      ),
    describe: (key, alert) =>
      writes.push('alert_owed', (w) => w.updateTable('alert_owed').set({ latest: JSON.stringify(alert) }).where('key', '=', key).execute()),
    settle: (key, items) =>
      writes.push('alert_owed', async (w) => {
        await w.updateTable('alert_owed').set({ items: sql`items - ${items}` }).where('key', '=', key).execute();
        await w.deleteFrom('alert_owed').where('key', '=', key).where('items', '<=', 0).execute();
      }),
    settled: () => writes.settled(),
  };
};

/** What a previous run left owed (rows whose body is not readable are dropped and counted). */
export const loadOwedAlerts = async (db: Db): Promise<{ owed: OwedAlert[]; unreadable: number }> => {
  const rows = await db.selectFrom('alert_owed').selectAll().orderBy('updated_at').execute();
  const owed: OwedAlert[] = [];
  const unreadable: string[] = [];
  for (const row of rows) {
    try {
      owed.push({ key: row.key, latest: JSON.parse(row.latest) as PendingAlert, items: row.items });
    } catch {
      unreadable.push(row.key);
    }
  }
  if (unreadable.length) await db.deleteFrom('alert_owed').where('key', 'in', unreadable).execute();
  return { owed, unreadable: unreadable.length };
};

/** The one alert that stands for what is owed: the latest, counting the others. */
export const owedSummary = (o: OwedAlert): RateLimitedAlert => ({
  ...o.latest,
  incident: { ...o.latest.incident, count: o.latest.incident.count + o.items - 1 },
  items: o.items,
});
