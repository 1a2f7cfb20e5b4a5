import { type Kysely } from 'kysely';

// Migrations never import app code: the shape is written out here as it was on the day.
// The processes PanicMode stopped (SIGSTOP) and has not thawed: `panicmode ctl frozen`
// lists them after an agent restart too. A process is its pid AND its start time, so a
// recycled pid is never taken for the process that was frozen.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('frozen_processes')
    .ifNotExists()
    .addColumn('pid', 'integer', (c) => c.notNull())
    .addColumn('start_ticks', 'integer', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('cmdline', 'text', (c) => c.notNull())
    .addColumn('frozen_at', 'integer', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('incident_key', 'text', (c) => c.notNull())
    .addColumn('thaw_at', 'integer')
    .addPrimaryKeyConstraint('frozen_processes_pk', ['pid', 'start_ticks'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('frozen_processes').ifExists().execute();
}
