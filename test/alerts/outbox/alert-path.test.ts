/**
 * The alert path in process, over a real SQLite file: a storm of 500 alerts of one rule
 * goes out as the first alert and one summary; completing the path (a stop) flushes the
 * summary, and abandoning it (a crash) leaves the count owed for the next start.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Subject, VirtualTimeScheduler } from 'rxjs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../../src/storage/database.js';
import { startAlertPath } from '../../../src/alerts/alert-path.js';
import { loadOwedAlerts } from '../../../src/alerts/owed-alerts.js';
import type { PendingAlert } from '../../../src/incidents/incident-flow.js';
import type { Incident } from '../../../src/model/incident.js';
import { memoryLogger } from '../../../src/log/logger.js';
import { incident } from '../helpers/alert-message.js';

const storm = (n: number): PendingAlert[] =>
  Array.from({ length: n }, (_, i) => ({ incident: incident({ name: 'ssh_brute_force', key: `ssh|10.0.${i >> 8}.${i & 255}` }), actionsTaken: [] }));

/** An alerting that records what it was handed (the outbox is tested on its own). */
const recorder = () => {
  const sent: Incident[] = [];
  return { sent, send: async (i: Incident) => void sent.push(i), total: () => sent.reduce((s, i) => s + i.count, 0) };
};

test('alert path: 500 alerts then stop → the first and one summary, counting all 500; nothing left owed', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pm-alert-path-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const opened = await openDatabase(join(dir, 'state.db'));
  t.after(() => opened.close());
  const alerting = recorder();
  const alerts$ = new Subject<PendingAlert>();
  const path = await startAlertPath(alerts$, { db: opened.db, alerting, logger: memoryLogger() });
  for (const a of storm(500)) {
    path.owe(a.incident); // the handler takes the incident up …
    alerts$.next(a); // … and hands its alert over after the actions
  }
  assert.equal(alerting.sent.length, 1);
  alerts$.complete();
  await new Promise((r) => setImmediate(r));
  await path.settled();
  assert.deepEqual(alerting.sent.map((i) => i.count), [1, 499]);
  assert.deepEqual((await loadOwedAlerts(opened.db)).owed, []);
});

test('alert path: 500 alerts then a crash → the next start sends the 499 held back as one summary', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pm-alert-path-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'state.db');
  const first = await openDatabase(file);
  const before = recorder();
  const alerts$ = new Subject<PendingAlert>();
  // virtual time that never advances: the 1m window is still open when the process "dies"
  const path = await startAlertPath(alerts$, { db: first.db, alerting: before, logger: memoryLogger(), scheduler: new VirtualTimeScheduler() });
  for (const a of storm(500)) {
    path.owe(a.incident); // the handler takes the incident up …
    alerts$.next(a); // … and hands its alert over after the actions
  }
  await new Promise((r) => setImmediate(r));
  await path.settled(); // what a running agent has written by the time it is killed
  await first.close(); // the process dies: alerts$ never completes, the window never ends
  assert.equal(before.total(), 1);

  const second = await openDatabase(file);
  t.after(() => second.close());
  const after = recorder();
  const restarted = await startAlertPath(new Subject<PendingAlert>(), { db: second.db, alerting: after, logger: memoryLogger() });
  await new Promise((r) => setImmediate(r));
  await restarted.settled();
  assert.deepEqual(after.sent.map((i) => i.count), [499]);
  assert.equal(before.total() + after.total(), 500);
  assert.deepEqual((await loadOwedAlerts(second.db)).owed, [], 'the summary settles what was owed');
});

test('alert path: incidents taken up but killed during their actions (alert not yet handed over) are still owed after a restart', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pm-alert-path-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'state.db');
  const first = await openDatabase(file);
  const before = recorder();
  const alerts$ = new Subject<PendingAlert>();
  const path = await startAlertPath(alerts$, { db: first.db, alerting: before, logger: memoryLogger(), scheduler: new VirtualTimeScheduler() });
  const [a, b, c] = storm(3);
  for (const x of [a!, b!, c!]) path.owe(x.incident); // three taken up at once (handler concurrency)
  alerts$.next({ ...a!, actionsTaken: ['blocked 10.0.0.0'] }); // only the first finished its ban
  await new Promise((r) => setImmediate(r));
  await path.settled();
  await first.close(); // kill -9 while b and c are being banned

  const second = await openDatabase(file);
  t.after(() => second.close());
  const after = recorder();
  const restarted = await startAlertPath(new Subject<PendingAlert>(), { db: second.db, alerting: after, logger: memoryLogger() });
  await new Promise((r) => setImmediate(r));
  await restarted.settled();
  assert.deepEqual(before.sent.map((i) => i.count), [1]);
  assert.deepEqual(after.sent.map((i) => i.count), [2], 'b and c, owed since they were taken up');
});
