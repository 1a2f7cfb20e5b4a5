/**
 * Keeps the database from growing without bound: rows older than the `retention:`
 * ages are deleted, a table at a time. Active bans and the outbox are never pruned
 * here (a ban ends by expiry, an alert by delivery).
 */
import type { Db } from './schema.js';

export interface RetentionAges {
  /** ms */
  incidents: number;
  action_runs: number;
  system_metrics: number;
}

export interface PruneReport {
  incidents: number;
  action_runs: number;
  system_metrics: number;
  /** lifted bans whose history (ban_count) is older than the incident retention */
  blocked_ips: number;
}

export const pruneOldRows = async (db: Db, now: number, ages: RetentionAges): Promise<PruneReport> => {
  const count = (r: { numDeletedRows: bigint }[]) => Number(r[0]?.numDeletedRows ?? 0n);
  return {
    incidents: count(await db.deleteFrom('incidents').where('ts', '<', now - ages.incidents).execute()),
    action_runs: count(await db.deleteFrom('action_runs').where('ts', '<', now - ages.action_runs).execute()),
    system_metrics: count(await db.deleteFrom('system_metrics').where('ts', '<', now - ages.system_metrics).execute()),
    // A lifted ban is kept as history so repeat offenders get longer bans; past the
    // incident retention that history is forgotten too.
    blocked_ips: count(await db.deleteFrom('blocked_ips').where('active', '=', 0).where('blocked_at', '<', now - ages.incidents).execute()),
  };
};
