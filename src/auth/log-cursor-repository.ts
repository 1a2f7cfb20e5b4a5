/**
 * Where a followed log was left: its inode and the offset just after the last whole
 * line read, kept in SQLite (`log_cursors`) so a restart resumes instead of re-reading
 * or skipping.
 */
import type { Db } from '../storage/schema.js';

export interface LogCursor {
  path: string;
  inode: number;
  offset: number;
  /** unix ms */
  updated_at: number;
}

/** What the follower needs from storage (a fake is a Map; production is the table). */
export interface LogCursorStore {
  load(path: string): Promise<LogCursor | undefined>;
  save(cursor: LogCursor): Promise<void>;
}

/** The `log_cursors` table as a LogCursorStore. */
export const createLogCursorRepository = (db: Db): LogCursorStore => ({
  load: async (path) => {
    const row = await db.selectFrom('log_cursors').selectAll().where('path', '=', path).executeTakeFirst();
    return row ?? undefined;
  },
  save: async (c) => {
    await db
      .insertInto('log_cursors')
      .values(c)
      .onConflict((oc) => oc.column('path').doUpdateSet({ inode: c.inode, offset: c.offset, updated_at: c.updated_at }))
      .execute();
  },
});
