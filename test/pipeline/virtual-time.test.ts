import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestScheduler } from 'rxjs/testing';
import { map, of, take, timer } from 'rxjs';
import { loadConfigText } from '../../src/config/load.js';
import { detectionPipeline, type PipelineEvent } from '../../src/pipeline/detection-pipeline.js';
import { emptyMetrics, type Metrics } from '../../src/model/metrics.js';
import { memoryLogger } from '../../src/log/logger.js';
import type { Action, ActionOutcome } from '../../src/actions/action.js';
import type { Observable } from 'rxjs';

const config = await loadConfigText(`
dry_run: false
performance: { check_interval: 5s }
anomaly: { enabled: false }
monitors:
  - name: CPU saturated
    type: cpu_usage
    threshold: 90
    duration: 30s
    actions: [freeze_top_process, alert_critical]
alerts:
  critical: [ { channel: console } ]
`);

/** A recorder: answers at once, so the path keeps virtual time. */
const recorder = (name: string, summary: string): Action<Observable<ActionOutcome>> => ({
  name,
  kind: 'protective',
  run: () => of({ outcome: 'ok', summary }),
});

const cpuAt = (ts: number, usagePercent: number): Metrics => ({
  ...emptyMetrics(ts),
  cpu: { usagePercent, perCore: [usagePercent], iowaitPercent: 0, stealPercent: 0 },
});

const show = (e: PipelineEvent): string => {
  if (e.kind === 'incident') return `incident ${e.incident.status} ${e.incident.name} ${e.incident.severity} ts=${e.incident.ts}`;
  if (e.kind === 'action') return `action ${e.run.action} ${e.run.outcome} ts=${e.run.ts}`;
  return `alert ${e.alert.incident.status} ${e.alert.incident.name} [${e.alert.actionsTaken.join(', ')}] x${e.alert.items}`;
};

test('rules → dedup → handler → actions → alert rate limit, from a config, in virtual time', () => {
  const scheduler = new TestScheduler((actual, expected) => assert.deepEqual(actual, expected));
  scheduler.run(({ expectObservable }) => {
    // one snapshot per check_interval, stamped by the scheduler: 50, then 95 ×7, then 40 ×4
    const series = [50, 95, 95, 95, 95, 95, 95, 95, 40, 40, 40, 40];
    const metrics$ = timer(0, config.performance.check_interval, scheduler).pipe(
      take(series.length),
      map((i) => cpuAt(scheduler.now(), series[i]!)),
    );
    const events$ = detectionPipeline(config, {
      scheduler,
      metrics$,
      actions: new Map([['freeze_top_process', recorder('freeze_top_process', 'froze pid 4242')]]),
      logger: memoryLogger(),
    }).pipe(map(show));
    // breached from 5 s, held 30 s at 35 s: fires; clear at 40, 45, 50 s: resolves on the third
    expectObservable(events$, '60s !').toBe('35s (ixa) 14995ms (rb)', {
      i: 'incident firing CPU saturated critical ts=35000',
      x: 'action freeze_top_process ok ts=35000',
      a: 'alert firing CPU saturated [froze pid 4242] x1',
      r: 'incident resolved CPU saturated critical ts=50000',
      b: 'alert resolved CPU saturated [] x1',
    });
  });
});

test('a storm of one rule is one alert per window; dedup repeats a reminder after 5 minutes', () => {
  const scheduler = new TestScheduler((actual, expected) => assert.deepEqual(actual, expected));
  scheduler.run(({ expectObservable }) => {
    // CPU above 90 for 6 minutes: fires at 30 s, dedup lets the reminder through at 5 m 30 s
    const metrics$ = timer(0, 5000, scheduler).pipe(
      take(73),
      map(() => cpuAt(scheduler.now(), 99)),
    );
    const alerts$ = detectionPipeline(config, {
      scheduler,
      metrics$,
      actions: new Map([['freeze_top_process', recorder('freeze_top_process', 'froze pid 4242')]]),
      logger: memoryLogger(),
    }).pipe(
      map((e) => (e.kind === 'alert' ? `${e.alert.incident.status}@${e.at}` : e.kind === 'incident' ? `i@${e.at}` : `x@${e.at}`)),
    );
    expectObservable(alerts$, '7m !').toBe('30s (ixa) 299995ms (jyb)', {
      i: 'i@30000', x: 'x@30000', a: 'firing@30000',
      j: 'i@330000', y: 'x@330000', b: 'firing@330000',
    });
  });
});
