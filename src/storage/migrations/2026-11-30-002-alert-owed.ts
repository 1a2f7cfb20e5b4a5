import type { Kysely } from 'kysely';

// Alerts owed to the operator until the message standing for them (the alert itself or
// a storm summary) is in the outbox: one row per rate-limit key, so a crash mid-storm
// leaves a count that the next start delivers as a summary.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('alert_owed')
    .ifNotExists()
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('items', 'integer', (c) => c.notNull())
    .addColumn('latest', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'integer', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('alert_owed').ifExists().execute();
}
