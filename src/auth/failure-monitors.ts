/**
 * What `auth_failures` and `log_failures` monitors share once each has said where its
 * lines come from: one source per distinct key (two rules on the same log and filter
 * read it once, through `share`), counters per source, and per monitor the brute-force
 * detector — per address, and per `firewall.ipv6_prefix` network for IPv6, the unit the
 * firewall bans, whatever the service.
 */
import { share, type Observable, type SchedulerLike } from 'rxjs';
import type { MonitorConfig } from '../config/schema.js';
import type { Incident } from '../model/incident.js';
import type { AuthFailure } from './auth-failure.js';
import { createAuthCounters, type AuthCounters } from './auth-failures.js';
import type { BruteForceRule } from './brute-force-rule.js';
import { detectBruteForce } from './detect-brute-force.js';

export interface FailureMonitor {
  monitor: MonitorConfig;
  /** monitors with the same key read one shared source */
  sourceKey: string;
  /** opens the source (called once per key), counting into `counters` */
  source: (counters: AuthCounters) => Observable<AuthFailure>;
  rule: BruteForceRule;
}

/**
 * A monitor's brute-force rule: its threshold, window, actions and severity; a
 * `log_failures` monitor's also says what it counts (`<filter> failures`), given its
 * filter's name.
 */
export const failureRuleOf = (m: MonitorConfig, filterName?: string): BruteForceRule => ({
  name: m.name,
  threshold: m.threshold,
  window: m.window,
  actions: m.actions,
  severity: m.severity,
  ...(m.type === 'log_failures' && filterName !== undefined ? { monitorType: 'log_failures', counted: `${filterName} failures` } : {}),
});

export interface FailureMonitorStreams {
  /** one incident stream per monitor */
  incidents: { monitor: MonitorConfig; incidents$: Observable<Incident> }[];
  /** lines read / matched / forged / skipped, per source */
  counters: Map<string, AuthCounters>;
}

export const failureMonitorStreams = (
  monitors: readonly FailureMonitor[],
  o: {
    ipv6Prefix?: number;
    scheduler?: SchedulerLike;
    /** when a failure happened; default its line's own time (a test counts on the virtual clock instead) */
    timeOf?: (f: AuthFailure) => number;
  },
): FailureMonitorStreams => {
  const sources = new Map<string, Observable<AuthFailure>>();
  const counters = new Map<string, AuthCounters>();
  const incidents = monitors.map(({ monitor, sourceKey, source, rule }) => {
    let failures$ = sources.get(sourceKey);
    if (!failures$) {
      const c = createAuthCounters();
      counters.set(sourceKey, c);
      failures$ = source(c).pipe(share());
      sources.set(sourceKey, failures$);
    }
    return { monitor, incidents$: failures$.pipe(detectBruteForce(rule, { ipv6Prefix: o.ipv6Prefix, scheduler: o.scheduler, timeOf: o.timeOf })) };
  });
  return { incidents, counters };
};
