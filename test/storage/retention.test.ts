import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../src/storage/database.js';
import { insertIncidents } from '../../src/storage/incidents-repository.js';
import { pruneOldRows } from '../../src/storage/retention.js';
import type { Incident } from '../../src/model/incident.js';

const DAY = 86_400_000;
const incident = (ts: number): Incident => ({
  key: `k${ts}`,
  name: 'r',
  severity: 'info',
  description: 'd',
  actions: [],
  metadata: { monitorType: 'cpu_usage', threshold: 1, currentValue: 2, details: '' },
  ts,
  status: 'firing',
  count: 1,
});

test('rows past their retention are deleted; recent rows, active bans and the outbox stay', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pm-retention-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const { db, close } = await openDatabase(join(dir, 'x.db'));
  const now = 100 * DAY;
  await insertIncidents(db, [incident(now - 40 * DAY), incident(now - 31 * DAY), incident(now - 29 * DAY), incident(now)]);
  await db.insertInto('action_runs').values([
    { ts: now - 31 * DAY, incident_key: 'a', action: 'block_ip', target: null, outcome: 'ok', message: null, duration_ms: 1 },
    { ts: now - DAY, incident_key: 'b', action: 'block_ip', target: null, outcome: 'ok', message: null, duration_ms: 1 },
  ]).execute();
  await db.insertInto('blocked_ips').values([
    { ip: '203.0.113.1', blocked_at: now - 60 * DAY, expires_at: null, reason: 'r', ban_count: 3, backend: 'script', active: 1 },
    { ip: '203.0.113.2', blocked_at: now - 60 * DAY, expires_at: now - 59 * DAY, reason: 'r', ban_count: 1, backend: 'script', active: 0 },
    { ip: '203.0.113.3', blocked_at: now - DAY, expires_at: now, reason: 'r', ban_count: 1, backend: 'script', active: 0 },
  ]).execute();
  const report = await pruneOldRows(db, now, { incidents: 30 * DAY, action_runs: 30 * DAY, system_metrics: 7 * DAY });
  assert.deepEqual(report, { incidents: 2, action_runs: 1, system_metrics: 0, blocked_ips: 1 });
  assert.deepEqual((await db.selectFrom('incidents').select('ts').orderBy('ts').execute()).map((r) => r.ts), [now - 29 * DAY, now]);
  assert.deepEqual((await db.selectFrom('blocked_ips').select('ip').orderBy('ip').execute()).map((r) => r.ip), ['203.0.113.1', '203.0.113.3']);
  await close();
});
