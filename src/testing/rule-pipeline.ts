/**
 * The agent's detection → incident flow → handler → alert path, built from a config
 * on one scheduler and fed by observables instead of collectors and log files: what
 * `panicmode test` and `panicmode/testing` run.
 *
 *   metrics$ ── compileRule (each monitor, anomaly, self-check) ── incidentFlow ─┐
 *   lines$ ── filter ── detectBruteForce (each auth/log monitor) ── incidentFlow ─┤
 *                                                                                ▼
 *                     recording handler: incident · protective actions · bans ·
 *                     alert ── alertRateLimit ── routing ── alert · background actions
 *
 * Detection, dedup, escalation and the alert rate limit are the agent's own operators
 * (src/rules, src/auth, src/incidents), given this scheduler. What differs from the
 * agent is the edge: actions are recorded, never executed, and counted as carried out
 * (dedup and the SSH detector are told so, as after a ban that worked); bans are the
 * ban manager's decisions (ban-decisions.ts); alerts are recorded with the channels
 * routing picks (`console` when no route takes the severity, as the agent does) instead
 * of entering the outbox. The handler here is synchronous: the agent's awaits the
 * protective actions, which take real time a virtual clock cannot give them.
 *
 * Log lines arrive at the scheduler's time and are counted at it: the timestamp inside
 * a line is parsed as usual but does not move virtual time.
 */
import { concatMap, EMPTY, filter, from, map, merge, Observable, share, Subject, type SchedulerLike } from 'rxjs';
import type { Config, MonitorConfig } from '../config/schema.js';
import type { Incident } from '../model/incident.js';
import type { Metrics } from '../model/metrics.js';
import type { AuthFailure } from '../auth/auth-failure.js';
import { compileMonitors } from '../rules/compile-monitors.js';
import { compileRule } from '../rules/compile-rule.js';
import { anomalyRules } from '../rules/anomaly-rules.js';
import { selfCheckRules } from '../rules/self-check-rules.js';
import { incidentFlow, alertRateLimit, type PendingAlert } from '../incidents/incident-flow.js';
import { DEFAULT_DEDUP_WINDOW_MS } from '../../streams/dedup.js';
import { AuthLineMatcher } from '../auth/parse-auth-line.js';
import { loadFilter } from '../auth/filters/load-filter.js';
import { monitorFilter } from '../auth/filters/monitor-filter.js';
import { detectBruteForce } from '../auth/detect-brute-force.js';
import { buildRouting, routesFor } from '../alerts/routing.js';
import { incidentIps } from '../actions/block-ip.js';
import { actionMeaning } from './recorded-actions.js';
import { createBanDecisions } from './ban-decisions.js';

export interface IncidentEvent {
  name: string;
  status: 'firing' | 'resolved';
  severity: Incident['severity'];
  description: string;
  key: string;
}

export interface ActionEvent {
  action: string;
  /** the incident's name */
  rule: string;
  /** what it acts on: the addresses (block_ip) or pids, space-separated; absent when the incident names none */
  target?: string;
}

export interface BanEvent {
  /** the address or prefix banned */
  ip: string;
  /** when the ban ends, on the scheduler's clock (null: until lifted) */
  until: number | null;
  rule: string;
}

export interface AlertEvent {
  name: string;
  status: 'firing' | 'resolved';
  severity: Incident['severity'];
  /** incidents the alert stands for (a rate-limited storm is one alert) */
  count: number;
  /** the channel keys routing sends it to */
  channels: string[];
}

export type PipelineEvent =
  | { kind: 'incident'; at: number; event: IncidentEvent }
  | { kind: 'action'; at: number; event: ActionEvent }
  | { kind: 'ban'; at: number; event: BanEvent }
  | { kind: 'alert'; at: number; event: AlertEvent };

export interface PipelineInputs {
  /** one snapshot per check (its `ts` is ignored: rules see the scheduler's time) */
  metrics$?: Observable<Metrics>;
  /** log lines as they arrive, offered to every auth_failures and log_failures monitor */
  lines$?: Observable<string>;
}

export interface RulePipeline {
  /** every event, in the order the pipeline produced them; subscribing starts the pipeline (shared) */
  events$: Observable<PipelineEvent>;
  incidents$: Observable<IncidentEvent>;
  actions$: Observable<ActionEvent>;
  bans$: Observable<BanEvent>;
  alerts$: Observable<AlertEvent>;
  /** monitors that cannot fire (type not available yet), with why */
  unavailable: { monitor: string; reason: string }[];
}

/** The failures a log line records, one per failure it stands for (as the agent counts them). */
const failuresOf = (matcher: AuthLineMatcher, line: string): AuthFailure[] => {
  const f = matcher.matchLine(line, 0, line.length);
  return f === null ? [] : new Array<AuthFailure>(f.count ?? 1).fill(f);
};

const logMonitorFilter = (m: MonitorConfig) => (m.type === 'auth_failures' ? loadFilter('sshd', m.mode) : monitorFilter(m));

export const buildRulePipeline = (config: Config, inputs: PipelineInputs, scheduler: SchedulerLike): RulePipeline => {
  const compiled = compileMonitors(config.monitors);
  const unavailable = compiled.unavailable.map(({ monitor, reason }) => ({ monitor: monitor.name, reason }));
  const routing = buildRouting(config.alerts, config.integrations);

  const events$ = new Observable<PipelineEvent>((subscriber) => {
    const emit = (e: PipelineEvent) => subscriber.next(e);
    const bans = createBanDecisions(config.firewall);
    const isProtective = (name: string) => actionMeaning(config, name)?.protective === true;

    // The alert path: rate limited per rule and severity, then routed.
    const alerts$ = new Subject<PendingAlert>();
    const alertSub = alerts$.pipe(alertRateLimit(undefined, scheduler)).subscribe((a) => {
      const routes = routesFor(routing, a.incident.severity).map((r) => r.key);
      emit({
        kind: 'alert',
        at: scheduler.now(),
        event: { name: a.incident.name, status: a.incident.status, severity: a.incident.severity, count: a.incident.count, channels: routes.length > 0 ? routes : ['console'] },
      });
    });

    const act = (incident: Incident, name: string, at: number) => {
      const meaning = actionMeaning(config, name)!;
      const ips = incidentIps(incident);
      const pids = incident.metadata.pids ?? [];
      const target = meaning.banMs !== undefined ? ips.join(' ') : pids.join(' ');
      emit({ kind: 'action', at, event: { action: name, rule: incident.name, ...(target ? { target } : {}) } });
      if (meaning.banMs !== undefined) {
        for (const b of bans.block(ips, meaning.banMs, at)) emit({ kind: 'ban', at, event: { ip: b.ip, until: b.until, rule: incident.name } });
      }
    };

    // The handler, in the agent's order: record, protective actions, hand-off, alert, background.
    const handle = (incident: Incident) => {
      const at = scheduler.now();
      emit({ kind: 'incident', at, event: { name: incident.name, status: incident.status, severity: incident.severity, description: incident.description, key: incident.key } });
      const firing = incident.status === 'firing';
      const names = firing ? incident.actions.filter((a) => actionMeaning(config, a) !== null) : [];
      const protective = names.filter((a) => actionMeaning(config, a)!.protective);
      for (const name of protective) act(incident, name, at);
      incident.onHandled?.(true);
      alerts$.next({ incident, actionsTaken: protective });
      for (const name of names) if (!actionMeaning(config, name)!.protective) act(incident, name, at);
    };

    const flow = (escalateAfter?: number) =>
      incidentFlow({
        dedupWindowMs: DEFAULT_DEDUP_WINDOW_MS,
        awaitsProtection: (i) => i.status === 'firing' && i.actions.some(isProtective),
        escalateAfter,
        scheduler,
      });

    // Rules see the scheduler's time, whatever the snapshot says.
    const metrics$ = (inputs.metrics$ ?? EMPTY).pipe(
      map((m) => ({ ...m, ts: scheduler.now() })),
      share(),
    );
    const rules = [
      ...compiled.rules.map((spec) => ({ spec, escalateAfter: config.monitors.find((m) => m.name === spec.name)?.escalate_after })),
      ...(config.anomaly.enabled ? anomalyRules(config.anomaly).map((spec) => ({ spec, escalateAfter: undefined })) : []),
      ...selfCheckRules(config.performance).map((spec) => ({ spec, escalateAfter: undefined })),
    ];
    const lines$ = (inputs.lines$ ?? EMPTY).pipe(share());
    const logMonitors = config.monitors.filter((m) => m.enabled && (m.type === 'auth_failures' || m.type === 'log_failures'));
    const detectors: Observable<Incident>[] = [
      ...rules.map(({ spec, escalateAfter }) => metrics$.pipe(compileRule(spec), flow(escalateAfter))),
      ...logMonitors.map((m) => {
        const matcher = new AuthLineMatcher({ filter: logMonitorFilter(m), now: () => scheduler.now() });
        return lines$.pipe(
          concatMap((line) => from(failuresOf(matcher, line))),
          detectBruteForce(
            {
              name: m.name,
              threshold: m.threshold,
              window: m.window,
              actions: m.actions,
              severity: m.severity,
              ...(m.type === 'log_failures' ? { monitorType: 'log_failures', counted: `${matcher.filter.definition.name} failures` } : {}),
            },
            { scheduler, timeOf: () => scheduler.now(), ipv6Prefix: config.firewall.ipv6_prefix },
          ),
          flow(m.escalate_after),
        );
      }),
    ];
    // The alert path outlives detection, as at the agent's stop: completing it flushes
    // the summaries its windows hold, and then the events end.
    alertSub.add(() => subscriber.complete());
    const detectionSub = merge(...detectors).subscribe({
      next: handle,
      error: (err) => subscriber.error(err),
      complete: () => alerts$.complete(),
    });
    return () => {
      detectionSub.unsubscribe();
      alertSub.unsubscribe();
    };
  }).pipe(share());

  const only = <K extends PipelineEvent['kind']>(kind: K) =>
    events$.pipe(
      filter((e): e is Extract<PipelineEvent, { kind: K }> => e.kind === kind),
      map((e) => e.event as Extract<PipelineEvent, { kind: K }>['event']),
    );

  return { events$, incidents$: only('incident'), actions$: only('action'), bans$: only('ban'), alerts$: only('alert'), unavailable };
};
