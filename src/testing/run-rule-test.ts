/**
 * Runs one test of a rule test file in virtual time and compares what happened with
 * what it expects. The inputs are timers on a VirtualTimeScheduler (a metric snapshot
 * every interval from 0, log lines at their `at`, then every `every`); the pipeline is
 * buildRulePipeline on that scheduler, banning through the real ban manager
 * (test-firewall.ts), the config's supervised services run by the real supervisor over
 * fixture processes (service-fixtures.ts); the scheduler is flushed up to the last
 * input plus the longest alert rate-limit window, so alert summaries a window holds
 * come out when a running agent would send them, each step's bans settled before the
 * clock moves on (virtual-time-driver.ts). Nothing waits on a real clock: a test of an hour of
 * traffic runs in milliseconds.
 */
import { concat, map, merge, NEVER, take, timer, VirtualAction, VirtualTimeScheduler, type Observable } from 'rxjs';
import type { Config } from '../config/schema.js';
import { DEFAULT_ALERT_WINDOWS } from '../incidents/incident-flow.js';
import { buildRulePipeline, type PipelineEvent } from './rule-pipeline.js';
import { createTestFirewall } from './test-firewall.js';
import { createRecordedAlertPath } from './recorded-alert-path.js';
import { flushSettling } from './virtual-time-driver.js';
import { buildSnapshot } from './metric-paths.js';
import { sampleSteps } from './series.js';
import type { RuleTestCase, SeriesSpec } from './rule-test-file.js';
import { applyProcesses, type ProcessFixture } from './process-fixtures.js';
import { fixtureSupervision } from './service-fixtures.js';
import { compareEvents, type EventKind, type KindResult } from './compare-events.js';
import type { LogLine } from './log-routing.js';

export interface RuleTestResult {
  name: string;
  passed: boolean;
  /** per expected list given: matched or the diff */
  kinds: KindResult[];
  /** monitors of the config that cannot fire (type not available yet) */
  unavailable: { monitor: string; reason: string }[];
}

const lastLogTime = (tc: RuleTestCase): number =>
  Math.max(-1, ...tc.logs.map((l) => l.at + ((l.repeat ?? 1) - 1) * (l.every ?? 0)));

const seriesTicks = (series: SeriesSpec, intervalMs: number): number =>
  'values' in series ? series.values.length : Math.floor(series.steps[series.steps.length - 1]!.at / intervalMs) + 1;

/** How many ticks the series span: the longest series, or a marble's last change. */
const tickCount = (tc: RuleTestCase, intervalMs: number): number =>
  Math.max(
    0,
    ...tc.metrics.map(({ series }) => seriesTicks(series, intervalMs)),
    ...tc.processes.flatMap((p) => [p.cpu, p.rss_mb, ...(p.children ? [p.children] : [])].map((s) => seriesTicks(s, intervalMs))),
  );

/** One value per tick (null: no sample). */
const perTick = (series: SeriesSpec, intervalMs: number, ticks: number): (number | null)[] =>
  'values' in series ? series.values : sampleSteps(series.steps, intervalMs, ticks);

/** The events the pipeline produced for this test's inputs, with their virtual times. */
export const runInVirtualTime = async (config: Config, tc: RuleTestCase, intervalMs: number): Promise<{ events: PipelineEvent[]; unavailable: RuleTestResult['unavailable'] }> => {
  const lastInput = Math.max(tc.duration ?? 0, (tickCount(tc, intervalMs) - 1) * intervalMs, lastLogTime(tc));
  const ticks = tc.duration !== undefined ? Math.floor(tc.duration / intervalMs) + 1 : tickCount(tc, intervalMs);
  const horizon = lastInput + Math.max(...Object.values(DEFAULT_ALERT_WINDOWS));
  const scheduler = new VirtualTimeScheduler(VirtualAction, horizon);

  const columns = tc.metrics.map(({ path, series }) => ({ path, values: perTick(series, intervalMs, ticks) }));
  const processes: ProcessFixture[] = tc.processes.map((p) => ({
    name: p.name,
    pid: p.pid,
    ppid: p.ppid ?? 1,
    uid: p.uid ?? 0,
    cpu: perTick(p.cpu, intervalMs, ticks),
    rssMb: perTick(p.rss_mb, intervalMs, ticks),
    children: p.children ? perTick(p.children, intervalMs, ticks) : [],
    state: p.state ?? 'R',
  }));
  // Inputs stay open after their last value (NEVER): the agent runs on, its windows too.
  const metrics$ = concat(
    timer(0, intervalMs, scheduler).pipe(
      take(ticks),
      map((i) => {
        const m = buildSnapshot(scheduler.now(), columns.map((c) => ({ path: c.path, value: c.values[i] ?? null })));
        applyProcesses(m, processes, i);
        return m;
      }),
    ),
    NEVER,
  );
  const lines$: Observable<LogLine> = concat(
    merge(...tc.logs.map((l) => timer(l.at, l.every ?? 1, scheduler).pipe(take(l.repeat ?? 1), map(() => ({ log: l.log, line: l.line }))))),
    NEVER,
  );
  const firewall = await createTestFirewall(config, scheduler);
  const alertPath = await createRecordedAlertPath(config, scheduler);
  // the config's supervised services, living as the test's `services:` say
  const supervision = config.processes.some((p) => p.enabled) ? await fixtureSupervision(config, tc.services, scheduler, intervalMs) : undefined;
  const pipeline = buildRulePipeline(config, { metrics$, lines$, supervision$: supervision?.incidents$ }, scheduler, { firewall, alertPath, intervalMs });
  const events: PipelineEvent[] = [];
  let failure: unknown;
  const sub = pipeline.events$.subscribe({ next: (e) => events.push(e), error: (err) => (failure = err) });
  try {
    await flushSettling(scheduler, pipeline.busy);
  } finally {
    sub.unsubscribe();
    await supervision?.close();
    await firewall.close();
    await alertPath.close();
  }
  if (failure !== undefined) throw failure;
  return { events, unavailable: pipeline.unavailable };
};

export const runRuleTest = async (config: Config, tc: RuleTestCase, intervalMs: number): Promise<RuleTestResult> => {
  const { events, unavailable } = await runInVirtualTime(config, tc, intervalMs);
  const kinds: KindResult[] = [];
  for (const kind of ['incidents', 'actions', 'bans', 'alerts'] as EventKind[]) {
    const expected = tc.expect[kind];
    if (expected === undefined) continue; // a list not given is not checked
    kinds.push(compareEvents(kind, expected, events));
  }
  return { name: tc.name, passed: kinds.every((k) => k.passed), kinds, unavailable };
};
