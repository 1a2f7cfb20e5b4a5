/**
 * The database as kysely sees it: one interface per table. Migrations under
 * ./migrations create exactly these shapes; repositories are plain async functions
 * over a `Kysely<Database>`.
 */
import type { Generated, Insertable, Selectable, Kysely } from 'kysely';

export interface IncidentsTable {
  id: Generated<number>;
  /** unix ms */
  ts: number;
  name: string;
  severity: string;
  status: string;
  description: string;
  monitor_type: string;
  threshold: number;
  current_value: number;
  details: string;
  /** JSON array of action names */
  actions: string;
  /** JSON array of offending IPs, or null */
  ips: string | null;
  count: number;
  incident_key: string;
}

export interface ActionRunsTable {
  id: Generated<number>;
  ts: number;
  incident_key: string;
  action: string;
  target: string | null;
  /** ok | failed | skipped | dry_run */
  outcome: string;
  message: string | null;
  duration_ms: number;
}

export interface AlertOutboxTable {
  id: Generated<number>;
  /** One alert written once, delivered per channel: rows sharing alert_id are one alert. */
  alert_id: string;
  channel: string;
  created_at: number;
  severity: string;
  /** JSON of the alert message (incident fields, host, text) */
  payload: string;
  attempts: number;
  max_attempts: number;
  next_attempt_at: number;
  /** pending | delivering | delivered | failed */
  state: string;
  last_error: string | null;
}

export interface AlertOwedTable {
  /** the alert rate limit's key: severity, rule name and status */
  key: string;
  /** alerts of the key not yet standing in the outbox (alone or in a summary) */
  items: number;
  /** JSON of the latest such alert (incident and actions taken), the summary's body */
  latest: string;
  updated_at: number;
}

export interface BlockedIpsTable {
  /** Address or CIDR prefix (v6 /64 bans store the prefix). */
  ip: string;
  blocked_at: number;
  /** unix ms; null = permanent */
  expires_at: number | null;
  reason: string;
  /** How many times this address has been banned (for increasing ban times). */
  ban_count: number;
  /** script | nftables | dry_run */
  backend: string;
  /** 1 while the ban is in force, 0 once lifted (rows stay for ban_count history). */
  active: number;
}

/** One row per ban put in force (the recidive policy's history; see firewall/recidive.ts). */
export interface BanEventsTable {
  ip: string;
  ts: number;
}

export interface DedupStateTable {
  incident_key: string;
  last_seen: number;
  count: number;
}

export interface LogCursorsTable {
  /** The followed file's path. */
  path: string;
  inode: number;
  offset: number;
  updated_at: number;
}

/** One row per supervised service: its restart budget and the instance last seen running. */
export interface RestartStateTable {
  service: string;
  /** JSON array of restart times (unix ms) in the current episode, oldest first */
  restarts: string;
  /** unix ms the cooldown ends; null when not in cooldown */
  cooldown_until: number | null;
  /** the instance last seen running: pid and start time (ticks after boot) */
  pid: number | null;
  start_ticks: number | null;
  /** unix ms it was started by PanicMode, or first seen running */
  started_at: number | null;
  updated_at: number;
}

export interface SystemMetricsTable {
  ts: number;
  cpu_percent: number | null;
  memory_percent: number | null;
  swap_percent: number | null;
  load1: number | null;
  connections: number | null;
}

/** A process PanicMode stopped and has not thawed (pid + start time = one process). */
export interface FrozenProcessesTable {
  pid: number;
  start_ticks: number;
  name: string;
  cmdline: string;
  frozen_at: number;
  action: string;
  /** the incident's name */
  reason: string;
  incident_key: string;
  /** when thaw_after thaws it (unix ms), or null */
  thaw_at: number | null;
}

export interface Database {
  incidents: IncidentsTable;
  action_runs: ActionRunsTable;
  alert_outbox: AlertOutboxTable;
  alert_owed: AlertOwedTable;
  blocked_ips: BlockedIpsTable;
  ban_events: BanEventsTable;
  frozen_processes: FrozenProcessesTable;
  dedup_state: DedupStateTable;
  log_cursors: LogCursorsTable;
  restart_state: RestartStateTable;
  system_metrics: SystemMetricsTable;
}

export type Db = Kysely<Database>;
export type IncidentRow = Selectable<IncidentsTable>;
export type NewIncidentRow = Insertable<IncidentsTable>;
export type OutboxRow = Selectable<AlertOutboxTable>;
export type NewOutboxRow = Insertable<AlertOutboxTable>;
export type BlockedIpRow = Selectable<BlockedIpsTable>;
export type ActionRunRow = Selectable<ActionRunsTable>;
