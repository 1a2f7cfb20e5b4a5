/**
 * An `auth_failures` monitor as the SSH detection needs it: a narrow slice of the
 * config's monitor (snake_case names as in the YAML, durations in ms), turned into
 * Incidents by detect-brute-force.ts.
 */
import type { Incident, Severity } from '../model/incident.js';
import type { AuthFailure } from './auth-failure.js';
import { monitorSeverity } from '../rules/monitor-severity.js';

export interface BruteForceRule {
  name: string;
  /** fires when an address has MORE failures than this within `window` */
  threshold: number;
  /** ms; default 60 s (the default SSH rule) */
  window?: number;
  actions: string[];
  severity?: Severity;
  /** the monitor type in incidents (default auth_failures; log_failures monitors say so) */
  monitorType?: string;
  /** what is counted, for the description (default `SSH auth failures`; `nginx-http-auth failures`) */
  counted?: string;
}

/** The embedded default SSH rule: more than 5 failures from one address within 60 s. */
export const defaultBruteForceRule: BruteForceRule = {
  name: 'SSH brute force',
  threshold: 5,
  window: 60_000,
  actions: ['block_ip', 'alert_critical'],
};

export const DEFAULT_WINDOW_MS = 60_000;


/** `60000` → `60s`, `300000` → `5m`. */
export const formatWindow = (ms: number): string => {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms >= 120_000) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
};

/** What an incident's details say about each failure. */
export type FailureSummary = Pick<AuthFailure, 'kind' | 'user'>;

/** Counts per value, most frequent first: `invalid_user ×4, failed_password ×2`. */
const tally = (values: readonly (string | undefined)[]): string => {
  const counts = new Map<string, number>();
  for (const v of values) if (v !== undefined) counts.set(v, (counts.get(v) ?? 0) + 1);
  let out = '';
  for (const [v, n] of [...counts].sort((a, b) => b[1] - a[1])) out += (out ? ', ' : '') + (n > 1 ? `${v} ×${n}` : v);
  return out;
};

/**
 * The incident for one offender whose failures exceeded the rule: an address, or an
 * IPv6 network counted as one (offender-key.ts). Its key includes the offender, so dedup
 * downstream keeps distinct attackers apart; `metadata.ips` (the offender's addresses
 * seen, default the offender itself) is what block_ip reads.
 */
export const bruteForceIncident = (
  rule: BruteForceRule,
  ip: string,
  failures: readonly FailureSummary[],
  ts: number,
  addresses: readonly string[] = [ip],
): Incident => {
  const windowMs = rule.window ?? DEFAULT_WINDOW_MS;
  const count = failures.length;
  const kinds: string[] = [];
  const userNames: (string | undefined)[] = [];
  for (const f of failures) {
    kinds.push(f.kind);
    // JSON-quoted: user names are the attacker's text (and the copy detaches it from the log chunk)
    userNames.push(f.user === undefined || f.user === '' ? undefined : JSON.stringify(f.user));
  }
  const users = tally(userNames);
  return {
    key: `${rule.monitorType ?? 'auth_failures'}|${rule.name}|${ip}`,
    name: rule.name,
    severity: monitorSeverity(rule),
    description: `${count} ${rule.counted ?? 'SSH auth failures'} from ${ip} within ${formatWindow(windowMs)} (threshold ${rule.threshold})`,
    actions: [...rule.actions],
    metadata: {
      monitorType: rule.monitorType ?? 'auth_failures',
      threshold: rule.threshold,
      currentValue: count,
      details: `offending IPs: ${ip}${addresses.length > 1 || addresses[0] !== ip ? ` (${addresses.length} address${addresses.length === 1 ? '' : 'es'})` : ''} (${count} failures: ${tally(kinds)}${users ? `; users tried: ${users}` : ''})`,
      ips: [...addresses],
    },
    ts,
    status: 'firing',
    count: 1,
  };
};
