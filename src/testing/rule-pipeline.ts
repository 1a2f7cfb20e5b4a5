/**
 * The agent's detection → incident flow → handler → alert path, built from a config
 * on one scheduler and fed by observables instead of collectors and log files: what
 * `panicmode test` and `panicmode/testing` run. The path itself is the agent's
 * (src/pipeline/detection-pipeline.ts: rules, dedup, escalation, handler, executor,
 * alert rate limit); this module adds the inputs and recorders at its edges:
 *
 *   metrics$ ───────────────────────────────────────────────────────────┐
 *   lines$ ── the monitor's log ── filter ── detectBruteForce (per monitor) ─┤
 *   supervision$ (the supervisor over fixture services) ────────────────────┴─► detectionPipeline ─► events
 *                                          recording actions ┘   (incidents, actions, alerts)
 *
 * Actions are recorded, never executed: each action name answers at once with what it
 * would act on, so the executor counts it carried out (dedup and the SSH detector are
 * told so, as after a ban that worked). With a test firewall (test-firewall.ts, as
 * `panicmode test` runs), a banning action is the agent's block_ip over the real ban
 * manager, and the bans are what its backend was asked to put in force. Alerts are
 * recorded with the channels routing picks (`console` when no route takes the
 * severity, as the agent does) instead of entering the outbox.
 *
 * Log lines arrive at the scheduler's time and are counted at it: the timestamp inside
 * a line is parsed as usual but does not move virtual time.
 */
import { concatMap, EMPTY, filter, from, map, Observable, of, share, type ObservableInput, type SchedulerLike } from 'rxjs';
import type { Config, MonitorConfig } from '../config/schema.js';
import type { Incident } from '../model/incident.js';
import type { Metrics } from '../model/metrics.js';
import type { Action, ActionOutcome } from '../actions/action.js';
import type { AuthFailure } from '../auth/auth-failure.js';
import { AuthLineMatcher } from '../auth/parse-auth-line.js';
import { loadFilter } from '../auth/filters/load-filter.js';
import { monitorFilter } from '../auth/filters/monitor-filter.js';
import { failureMonitorStreams, failureRuleOf } from '../auth/failure-monitors.js';
import { buildRouting, routesFor } from '../alerts/routing.js';
import { blockIpAction, incidentIps } from '../actions/block-ip.js';
import type { BanManager } from '../firewall/ban-manager.js';
import { memoryLogger } from '../log/logger.js';
import { detectionPipeline, type EventDetector } from '../pipeline/detection-pipeline.js';
import { isLogMonitor, reaches, type LogLine } from './log-routing.js';
import { compileMonitors } from '../rules/compile-monitors.js';
import { anomalyRules } from '../rules/anomaly-rules.js';
import { actionMeaning } from './recorded-actions.js';
import type { TestFirewall } from './test-firewall.js';
import type { RecordedAlertPath } from './recorded-alert-path.js';
import { fixtureWindows } from './fixture-windows.js';

export interface IncidentEvent {
  name: string;
  status: 'firing' | 'resolved';
  severity: Incident['severity'];
  description: string;
  /** what the rule adds (top processes, offending addresses, ...) */
  details: string;
  key: string;
}

export interface ActionEvent {
  action: string;
  /** the incident's name */
  rule: string;
  /** what it acts on, space-separated: the addresses (banning actions) or the pids (process actions); absent when none */
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
  /** what its channels were handed (title, then text); with the recorded alert path only */
  message?: string;
}

export type PipelineEvent =
  | { kind: 'incident'; at: number; event: IncidentEvent }
  | { kind: 'action'; at: number; event: ActionEvent }
  | { kind: 'ban'; at: number; event: BanEvent }
  | { kind: 'alert'; at: number; event: AlertEvent };

export interface PipelineInputs {
  /** one snapshot per check (its `ts` is ignored: rules see the scheduler's time) */
  metrics$?: Observable<Metrics>;
  /**
   * log lines as they arrive: a string is an SSH line (every auth_failures monitor);
   * `{ log, line }` goes to the monitors reading that log (log-routing.ts)
   */
  lines$?: Observable<string | LogLine>;
  /** the incidents of the config's supervised services (service-fixtures.ts: fixtureSupervision) */
  supervision$?: Observable<Incident>;
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
  /** bans are being decided (with a firewall): flushSettling waits while this is true */
  busy(): boolean;
}

/** The failures a log line records, one per failure it stands for (as the agent counts them). */
const failuresOf = (matcher: AuthLineMatcher, line: string): AuthFailure[] => {
  const f = matcher.matchLine(line, 0, line.length);
  return f === null ? [] : new Array<AuthFailure>(f.count ?? 1).fill(f);
};

const logMonitorFilter = (m: MonitorConfig) => (m.type === 'auth_failures' ? loadFilter('sshd', m.mode) : monitorFilter(m));

/**
 * The action names the config's monitors (and the anomaly detector) can ask for. None
 * is executed: each answers at once with what it would act on — except the banning
 * ones when the test has a firewall (test-firewall.ts): those are the agent's block_ip
 * action over the real ban manager, whose backend records the bans. `inFlight` counts
 * the bans being decided (the driver waits for them before moving the clock).
 */
const recordingActions = (config: Config, firewall: BanManager | undefined, inFlight: { n: number }): Map<string, Action<ObservableInput<ActionOutcome>>> => {
  const names = new Set([
    ...config.monitors.filter((m) => m.enabled).flatMap((m) => m.actions),
    ...(config.anomaly.enabled ? anomalyRules(config.anomaly).flatMap((r) => r.actions) : []),
  ]);
  const out = new Map<string, Action<ObservableInput<ActionOutcome>>>();
  for (const name of names) {
    const meaning = actionMeaning(config, name);
    if (!meaning) continue;
    const kind = meaning.protective ? 'protective' : 'background';
    if (meaning.banMs !== undefined && firewall) {
      const action = blockIpAction(firewall, { name, durationMs: meaning.banMs });
      out.set(name, {
        name,
        kind,
        run: (ctx) => {
          inFlight.n++;
          return action.run(ctx).finally(() => inFlight.n--);
        },
      });
      continue;
    }
    out.set(name, {
      name,
      kind,
      run: ({ incident }) => {
        // a banning action names the incident's addresses; a process action its processes; a background one the host
        const target = meaning.banMs !== undefined ? incidentIps(incident).join(' ') : meaning.protective ? (incident.metadata.pids ?? []).join(' ') : '';
        return of({ outcome: 'ok', summary: `${name} recorded`, ...(target ? { target } : {}) });
      },
    });
  }
  return out;
};

/**
 * The incidents of the config's auth_failures and log_failures monitors, from the
 * test's lines, each monitor fed the lines of the log it reads (log-routing.ts),
 * through the agent's own assembly (failureMonitorStreams: matcher → detectBruteForce).
 */
const logDetectors = (config: Config, lines$: Observable<LogLine>, scheduler: SchedulerLike): EventDetector[] =>
  failureMonitorStreams(
    config.monitors.filter(isLogMonitor).map((m, i) => {
      const matcher = new AuthLineMatcher({ filter: logMonitorFilter(m), now: () => scheduler.now() });
      return {
        monitor: m,
        sourceKey: String(i),
        source: () =>
          lines$.pipe(
            filter((l) => reaches(m, l)),
            concatMap((l) => from(failuresOf(matcher, l.line))),
          ),
        rule: failureRuleOf(m, matcher.filter.definition.name),
      };
    }),
    // the time inside a line is parsed, but virtual time is what counts
    { ipv6Prefix: config.firewall.ipv6_prefix, scheduler, timeOf: () => scheduler.now() },
  ).incidents.map(({ monitor, incidents$ }) => ({ name: monitor.name, escalateAfter: monitor.escalate_after, incidents$ }));

export interface RulePipelineOptions {
  /**
   * The real ban manager for banning actions (createTestFirewall), whose backend's
   * bans become `bans$`. It is asynchronous: drive the scheduler with flushSettling and
   * `busy`, not TestScheduler.run. Without it, banning actions are recorded with the
   * incident's addresses and nothing is banned.
   */
  firewall?: TestFirewall;
  /**
   * The agent's alert path recorded at the channels (createRecordedAlertPath), whose
   * messages become `alerts$`; asynchronous like the firewall. Without it, alerts are
   * recorded as they leave the rate limit, with the channels routing would pick.
   */
  alertPath?: RecordedAlertPath;
  /**
   * ms between the input's snapshots (default the config's performance.check_interval):
   * the window the first snapshot's CPU % and rates average over (fixture-windows.ts)
   */
  intervalMs?: number;
}

export const buildRulePipeline = (config: Config, inputs: PipelineInputs, scheduler: SchedulerLike, options: RulePipelineOptions = {}): RulePipeline => {
  const inFlight = { n: 0 };
  const unavailable = compileMonitors(config.monitors).unavailable.map(({ monitor, reason }) => ({ monitor: monitor.name, reason }));
  const routing = buildRouting(config.alerts, config.integrations);

  const events$ = new Observable<PipelineEvent>((subscriber) => {
    const actions = recordingActions(config, options.firewall?.manager, inFlight);
    const banSub = options.firewall?.bans$.subscribe(({ at, ...event }) => subscriber.next({ kind: 'ban', at, event }));
    const alertSub = options.alertPath?.alerts$.subscribe(({ at, ...event }) => subscriber.next({ kind: 'alert', at, event }));
    // Rules see the scheduler's time, whatever the snapshot says, and each field's sampling
    // window as the metrics stream gives it (fixture-windows.ts); one subscription to the input, as to the collectors.
    const windowed = fixtureWindows(options.intervalMs ?? config.performance.check_interval);
    const metrics$ = (inputs.metrics$ ?? EMPTY).pipe(
      map((m): Metrics => windowed({ ...m, ts: scheduler.now() })),
      share(),
    );
    const lines$ = (inputs.lines$ ?? EMPTY).pipe(
      map((l): LogLine => (typeof l === 'string' ? { line: l } : l)),
      share(),
    );
    // the rule an action record belongs to, by its incident's key (recorded just before)
    const ruleByKey = new Map<string, string>();
    const sub = detectionPipeline(config, {
      scheduler,
      metrics$,
      events: [...logDetectors(config, lines$, scheduler), ...(inputs.supervision$ ? [{ name: 'process supervision', incidents$: inputs.supervision$ }] : [])],
      actions,
      logger: memoryLogger(),
      alertPath: options.alertPath,
    }).subscribe({
      next: (e) => {
        if (e.kind === 'incident') {
          const i = e.incident;
          ruleByKey.set(i.key, i.name);
          subscriber.next({ kind: 'incident', at: e.at, event: { name: i.name, status: i.status, severity: i.severity, description: i.description, details: i.metadata.details, key: i.key } });
        } else if (e.kind === 'action') {
          subscriber.next({ kind: 'action', at: e.at, event: { action: e.run.action, rule: ruleByKey.get(e.run.incident_key) ?? e.run.incident_key, ...(e.run.target ? { target: e.run.target } : {}) } });
        } else {
          const i = e.alert.incident;
          const routes = routesFor(routing, i.severity).map((r) => r.key);
          subscriber.next({ kind: 'alert', at: e.at, event: { name: i.name, status: i.status, severity: i.severity, count: i.count, channels: routes.length > 0 ? routes : ['console'] } });
        }
      },
      error: (err) => subscriber.error(err),
      complete: () => subscriber.complete(),
    });
    return () => {
      sub.unsubscribe();
      banSub?.unsubscribe();
      alertSub?.unsubscribe();
    };
  }).pipe(share());

  const only = <K extends PipelineEvent['kind']>(kind: K) =>
    events$.pipe(
      filter((e): e is Extract<PipelineEvent, { kind: K }> => e.kind === kind),
      map((e) => e.event as Extract<PipelineEvent, { kind: K }>['event']),
    );

  return { events$, incidents$: only('incident'), actions$: only('action'), bans$: only('ban'), alerts$: only('alert'), unavailable, busy: () => inFlight.n > 0 || (options.alertPath?.busy() ?? false) };
};
