import { type Kysely } from 'kysely';

// Migrations never import app code: the shape is written out here as it was on the day.
// One row per ban put in force (blocked_ips keeps only the latest ban of an address):
// the history the recidive policy counts within its window.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('ban_events')
    .ifNotExists()
    .addColumn('ip', 'text', (c) => c.notNull())
    .addColumn('ts', 'integer', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('ban_events_ip_ts').ifNotExists().on('ban_events').columns(['ip', 'ts']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('ban_events').ifExists().execute();
}
