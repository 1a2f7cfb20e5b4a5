import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualTimeScheduler } from 'rxjs';
import { createActionExecutor, type ActionRunRecord } from '../../src/actions/executor.js';
import type { Action } from '../../src/actions/action.js';
import type { Incident } from '../../src/model/incident.js';
import { memoryLogger } from '../../src/log/logger.js';

const incident = (key: string, actions: string[]): Incident => ({
  key, name: key, severity: 'critical', description: key, actions,
  metadata: { monitorType: 't', threshold: 0, currentValue: 1, details: '' }, ts: 0, status: 'firing', count: 1,
});

test('executor: at most maxConcurrency actions run at once, the rest queue in order; a run that outlives the timeout fails (virtual time)', async () => {
  const scheduler = new VirtualTimeScheduler();
  const runs: ActionRunRecord[] = [];
  let running = 0;
  let most = 0;
  const hanging: Action = {
    name: 'hang', kind: 'protective',
    run: ({ signal }) => {
      running++;
      most = Math.max(most, running);
      return new Promise((_, reject) => signal.addEventListener('abort', () => (running--, reject(new Error('aborted')))));
    },
  };
  const executor = createActionExecutor({
    actions: new Map([['hang', hanging]]), dryRun: false, timeoutMs: 5_000, maxConcurrency: 2,
    breaker: { maxFailures: 100, failureWindowMs: 60_000, openDurationMs: 60_000 },
    logger: memoryLogger(), record: (r) => runs.push(r), scheduler,
  });
  const outcomes = ['a', 'b', 'c'].map((k) => executor.runProtective(incident(k, ['hang'])));
  await new Promise((r) => setImmediate(r));
  assert.equal(running, 2, 'the third waits for a slot');
  scheduler.flush(); // 5 s pass for a and b: both time out, c starts…
  await new Promise((r) => setImmediate(r));
  scheduler.flush(); // …and times out 5 s later
  const done = await Promise.all(outcomes);
  assert.equal(most, 2);
  assert.deepEqual(done.map((d) => d.carriedOut), [false, false, false]);
  assert.match(done[0]!.taken[0]!, /hang failed: hang: timed out after 5000 ms/);
  assert.deepEqual(runs.map((r) => [r.incident_key, r.outcome, r.duration_ms]), [['a', 'failed', 5000], ['b', 'failed', 5000], ['c', 'failed', 10_000]]);
});

test('executor: an action that is not available here is recorded as skipped, with the reason, at the incident (not only warned at start)', async () => {
  // Regression: runs of unavailable actions (restart_process today, block_ip with the
  // firewall off) left no trace in action_runs.
  const scheduler = new VirtualTimeScheduler();
  const runs: ActionRunRecord[] = [];
  const executor = createActionExecutor({
    actions: new Map(), unavailable: new Map([['restart_process', 'process protection arrives with its own issue']]),
    dryRun: false, timeoutMs: 5_000, maxConcurrency: 2, breaker: { maxFailures: 100, failureWindowMs: 60_000, openDurationMs: 60_000 },
    logger: memoryLogger(), record: (r) => runs.push(r), scheduler,
  });
  const done = await executor.runProtective(incident('k', ['alert_critical', 'restart_process']));
  assert.deepEqual(done, { taken: [], carriedOut: true });
  assert.deepEqual(runs, [{ ts: 0, incident_key: 'k', action: 'restart_process', target: null, outcome: 'skipped', message: 'not available: process protection arrives with its own issue', duration_ms: 0 }]);
});
