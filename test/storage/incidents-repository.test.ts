import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../src/storage/database.js';
import { createIncidentWriter, listIncidents } from '../../src/storage/incidents-repository.js';
import type { Incident } from '../../src/model/incident.js';

const incident = (n: number, ts: number): Incident => ({
  key: `k${n}`,
  name: `rule${n}`,
  severity: 'warning',
  description: `d${n}`,
  actions: ['alert_warning', 'block_ip'],
  metadata: { monitorType: 'auth_failures', threshold: 5, currentValue: 9, details: 'x', ips: ['203.0.113.7'] },
  ts,
  status: 'firing',
  count: 1,
});

test('the batched writer stores incidents in a real SQLite file, readable after reopen', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pm-inc-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'state', 'incidents.db');
  const opened = await openDatabase(path);
  assert.equal(opened.fallbackReason, null);
  const writer = createIncidentWriter(opened.db, { delayMs: 10 });
  for (let i = 0; i < 120; i++) writer.write(incident(i, 1000 + i));
  await writer.close();
  await opened.close();

  const again = await openDatabase(path);
  const all = await listIncidents(again.db, { limit: 1000 });
  assert.equal(all.length, 120);
  assert.equal(all[0]!.name, 'rule119');
  assert.deepEqual(JSON.parse(all[0]!.ips!), ['203.0.113.7']);
  const recent = await listIncidents(again.db, { since: 1110 });
  assert.equal(recent.length, 10);
  await again.close();
});

test('an unwritable database falls back to memory and says why', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pm-inc-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // A file where the directory should be cannot hold a database, even for root.
  const blocker = join(dir, 'blocker');
  writeFileSync(blocker, 'not a directory');
  const opened = await openDatabase(join(blocker, 'incidents.db'));
  assert.equal(opened.path, ':memory:');
  assert.match(opened.fallbackReason ?? '', /cannot use .*blocker/);
  const writer = createIncidentWriter(opened.db, { delayMs: 1 });
  writer.write(incident(1, 1));
  await writer.close();
  assert.equal((await listIncidents(opened.db)).length, 1);
  await opened.close();
});
