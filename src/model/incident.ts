/**
 * An Incident is what a rule or the anomaly detector raises. It flows through
 * dedup → escalation, then to protective actions, alerts (rate limited) and storage.
 */

export type Severity = 'info' | 'warning' | 'critical';

export const severityRank: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };

export const raiseSeverity = (s: Severity): Severity =>
  s === 'info' ? 'warning' : 'critical';

export interface IncidentMetadata {
  /** The monitor type (cpu_usage, auth_failures, ...) or `anomaly:<kind>` / `self_check`. */
  monitorType: string;
  threshold: number;
  currentValue: number;
  /** Human-readable details; IPs and pids also appear in the typed fields below. */
  details: string;
  /** Offending remote addresses, machine-readable (block_ip reads these). */
  ips?: string[];
  /** Offending processes (freeze/kill read these). */
  pids?: number[];
}

export interface Incident {
  /** Stable identity for dedup: same key = same ongoing problem. */
  key: string;
  /** Rule name (monitor name) or anomaly name. */
  name: string;
  severity: Severity;
  description: string;
  /** Action names from the monitor (alert_critical, block_ip, snapshot, ...). */
  actions: string[];
  metadata: IncidentMetadata;
  /** unix ms */
  ts: number;
  /** `firing` when raised, `resolved` once when the condition clears. */
  status: 'firing' | 'resolved';
  /** How many raw occurrences this incident stands for (storms collapse into one). */
  count: number;
  /**
   * Told once what became of the incident's protective actions: `true` when they were
   * carried out (or a duplicate of one carried out was dropped), `false` when not. The
   * SSH detector releases the log lines behind a ban here (line-ledger.ts). Not data.
   */
  onHandled?: (carriedOut: boolean) => void;
}
