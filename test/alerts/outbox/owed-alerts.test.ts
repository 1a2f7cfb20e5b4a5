/**
 * The owed-alerts ledger on a real SQLite file: alerts are counted per rate-limit key
 * until the message standing for them is in the outbox, and what is still owed after a
 * restart comes back as one summary per key, counting them all.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../../src/storage/database.js';
import { createOwedAlerts, loadOwedAlerts, owedSummary } from '../../../src/alerts/owed-alerts.js';
import { alertStormKey, type PendingAlert } from '../../../src/incidents/incident-flow.js';
import { memoryLogger } from '../../../src/log/logger.js';
import { incident } from '../helpers/alert-message.js';

const alert = (ip: string, severity: 'critical' | 'warning' = 'critical'): PendingAlert => ({
  incident: incident({ name: 'ssh_brute_force', key: `ssh|${ip}`, severity, metadata: { ips: [ip] } }),
  actionsTaken: [`blocked ${ip}`],
});

test('owed alerts: counted per key until settled; what is left survives a reopen as one summary per key', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pm-owed-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'state.db');

  let opened = await openDatabase(path);
  const owed = createOwedAlerts(opened.db, memoryLogger());
  const storm = ['203.0.113.1', '203.0.113.2', '203.0.113.3', '203.0.113.4'].map((ip) => alert(ip));
  for (const a of storm) owed.owe(alertStormKey(a), a, 1000);
  const other = alert('198.51.100.9', 'warning');
  owed.owe(alertStormKey(other), other, 1001);
  owed.settle(alertStormKey(storm[0]!), 1); // the first alert went out alone
  owed.settle(alertStormKey(other), 1);
  await owed.settled();
  await opened.close();

  // a new process: the 3 held back are still owed, the warning is not
  opened = await openDatabase(path);
  t.after(() => opened.close());
  const { owed: left, unreadable } = await loadOwedAlerts(opened.db);
  assert.equal(unreadable, 0);
  assert.equal(left.length, 1);
  assert.equal(left[0]!.key, alertStormKey(storm[0]!));
  assert.equal(left[0]!.items, 3);
  const summary = owedSummary(left[0]!);
  assert.equal(summary.items, 3);
  assert.equal(summary.incident.count, 3, 'the summary stands for the 3 owed');
  assert.deepEqual(summary.incident.metadata.ips, ['203.0.113.4'], 'the latest is the body');

  // settling what the summary stands for clears the key
  const again = createOwedAlerts(opened.db, memoryLogger());
  again.settle(left[0]!.key, summary.items);
  await again.settled();
  assert.deepEqual((await loadOwedAlerts(opened.db)).owed, []);
});

test('owed alerts: a row whose body is unreadable is dropped and counted, not fatal', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pm-owed-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const opened = await openDatabase(join(dir, 'state.db'));
  t.after(() => opened.close());
  await opened.db.insertInto('alert_owed').values({ key: 'k', items: 2, latest: '{not json', updated_at: 1 }).execute();
  assert.deepEqual(await loadOwedAlerts(opened.db), { owed: [], unreadable: 1 });
  assert.equal((await opened.db.selectFrom('alert_owed').selectAll().execute()).length, 0);
});
