import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createIncidentHandler } from '../../src/incidents/incident-handler.js';
import type { Incident, Severity } from '../../src/model/incident.js';
import { defer } from 'rxjs';
import type { ActionExecutor } from '../../src/actions/executor.js';

type Executor = Pick<ActionExecutor, 'protective$' | 'runBackground'>;
import { memoryLogger } from '../../src/log/logger.js';

const incident = (name: string, severity: Severity, actions: string[] = []): Incident => ({
  key: name,
  name,
  severity,
  description: name,
  actions,
  metadata: { monitorType: 'cpu_usage', threshold: 1, currentValue: 2, details: '' },
  ts: 0,
  status: 'firing',
  count: 1,
});

test('a backlog is handled critical-first; protective actions run before the alert', async () => {
  const order: string[] = [];
  const executor: Executor = {
    protective$: (i) =>
      defer(async () => {
        order.push(`protect:${i.name}`);
        return { taken: i.actions.includes('block_ip') ? ['blocked 1 IP'] : [], carriedOut: true };
      }),
    runBackground: (i) => void order.push(`background:${i.name}`),
  };
  const alerts: [string, string[]][] = [];
  const h = createIncidentHandler({
    executor,
    alert: (i, taken) => void alerts.push([i.name, taken]),
    record: (i) => void order.push(`record:${i.name}`),
    logger: memoryLogger(),
    concurrency: 1,
  });
  h.handle(incident('info1', 'info'));
  h.handle(incident('warn1', 'warning'));
  h.handle(incident('crit1', 'critical', ['block_ip']));
  await h.idle();
  assert.deepEqual(alerts.map((a) => a[0]), ['crit1', 'warn1', 'info1']);
  assert.deepEqual(alerts[0], ['crit1', ['blocked 1 IP']]);
  assert.ok(order.indexOf('protect:crit1') < order.indexOf('background:crit1'));
});

test('a failing action or alert hand-off does not stop the next incident', async () => {
  const logger = memoryLogger();
  const seen: string[] = [];
  const h = createIncidentHandler({
    executor: {
      protective$: () =>
        defer(async () => {
          throw new Error('boom');
        }),
      runBackground: () => {},
    },
    alert: (i) => {
      seen.push(i.name);
      if (i.name === 'a') throw new Error('outbox down');
    },
    record: () => {},
    logger,
  });
  h.handle(incident('a', 'critical'));
  h.handle(incident('b', 'critical'));
  await h.idle();
  assert.deepEqual(seen.sort(), ['a', 'b']);
  assert.ok(logger.lines.some((l) => l.includes('protective actions failed')));
  assert.ok(logger.lines.some((l) => l.includes('alert hand-off failed')));
});

test('onHandled tells whether the protective actions were carried out (thrown or failed: false)', async () => {
  const outcomes: [string, boolean][] = [];
  const h = createIncidentHandler({
    executor: {
      protective$: (i) =>
        defer(async () => {
          if (i.name === 'thrown') throw new Error('boom');
          return { taken: [], carriedOut: i.name !== 'failed' };
        }),
      runBackground: () => {},
    },
    alert: () => {},
    record: () => {},
    logger: memoryLogger(),
  });
  for (const name of ['ok', 'failed', 'thrown']) h.handle({ ...incident(name, 'critical', ['block_ip']), onHandled: (done) => void outcomes.push([name, done]) });
  await h.idle();
  assert.deepEqual(outcomes.sort(), [['failed', false], ['ok', true], ['thrown', false]]);
});
