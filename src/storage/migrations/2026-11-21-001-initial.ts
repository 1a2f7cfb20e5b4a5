import { type Kysely, sql } from 'kysely';

// Migrations never import app code: the shapes are written out here as they were
// on the day, so a later change to the app cannot rewrite history.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('incidents')
    .ifNotExists()
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('ts', 'integer', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('firing'))
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('monitor_type', 'text', (c) => c.notNull())
    .addColumn('threshold', 'real', (c) => c.notNull())
    .addColumn('current_value', 'real', (c) => c.notNull())
    .addColumn('details', 'text', (c) => c.notNull())
    .addColumn('actions', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('ips', 'text')
    .addColumn('count', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('incident_key', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('incidents_ts').ifNotExists().on('incidents').column('ts').execute();

  await db.schema
    .createTable('action_runs')
    .ifNotExists()
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('ts', 'integer', (c) => c.notNull())
    .addColumn('incident_key', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('target', 'text')
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('message', 'text')
    .addColumn('duration_ms', 'real', (c) => c.notNull().defaultTo(0))
    .execute();

  await db.schema
    .createTable('alert_outbox')
    .ifNotExists()
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('alert_id', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('created_at', 'integer', (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('max_attempts', 'integer', (c) => c.notNull().defaultTo(4))
    .addColumn('next_attempt_at', 'integer', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull().defaultTo('pending'))
    .addColumn('last_error', 'text')
    .execute();
  await db.schema
    .createIndex('alert_outbox_due')
    .ifNotExists()
    .on('alert_outbox')
    .columns(['state', 'next_attempt_at'])
    .execute();
  await db.schema
    .createIndex('alert_outbox_alert_channel')
    .ifNotExists()
    .unique()
    .on('alert_outbox')
    .columns(['alert_id', 'channel'])
    .execute();

  await db.schema
    .createTable('blocked_ips')
    .ifNotExists()
    .addColumn('ip', 'text', (c) => c.primaryKey())
    .addColumn('blocked_at', 'integer', (c) => c.notNull())
    .addColumn('expires_at', 'integer')
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('ban_count', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('backend', 'text', (c) => c.notNull())
    .addColumn('active', 'integer', (c) => c.notNull().defaultTo(1))
    .execute();

  await db.schema
    .createTable('dedup_state')
    .ifNotExists()
    .addColumn('incident_key', 'text', (c) => c.primaryKey())
    .addColumn('last_seen', 'integer', (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull().defaultTo(1))
    .execute();

  await db.schema
    .createTable('log_cursors')
    .ifNotExists()
    .addColumn('path', 'text', (c) => c.primaryKey())
    .addColumn('inode', 'integer', (c) => c.notNull())
    .addColumn('offset', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'integer', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('system_metrics')
    .ifNotExists()
    .addColumn('ts', 'integer', (c) => c.notNull())
    .addColumn('cpu_percent', 'real')
    .addColumn('memory_percent', 'real')
    .addColumn('swap_percent', 'real')
    .addColumn('load1', 'real')
    .addColumn('connections', 'integer')
    .execute();
  await sql`select 1`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['system_metrics', 'log_cursors', 'dedup_state', 'blocked_ips', 'alert_outbox', 'action_runs', 'incidents']) {
    await db.schema.dropTable(t).ifExists().execute();
  }
}
