import type { Kysely } from 'kysely';

// The restart budget of each supervised service, so an agent restarted in the middle
// of a crash loop keeps its cooldown and knows the instance it started (pid and start
// time) instead of starting a second one.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('restart_state')
    .ifNotExists()
    .addColumn('service', 'text', (c) => c.primaryKey())
    .addColumn('restarts', 'text', (c) => c.notNull())
    .addColumn('cooldown_until', 'integer')
    .addColumn('pid', 'integer')
    .addColumn('start_ticks', 'integer')
    .addColumn('started_at', 'integer')
    .addColumn('updated_at', 'integer', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('restart_state').ifExists().execute();
}
