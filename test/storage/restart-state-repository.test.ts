/**
 * restart_state in a real SQLite file: a state written behind is read back by a new
 * connection (an agent started again), the latest of several quick writes wins, a damaged
 * row costs its restart times only, and a write that fails is reported, not thrown.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../src/storage/database.js';
import { createRestartStateWriter, loadRestartStates, type RestartState } from '../../src/storage/restart-state-repository.js';

const dir = mkdtempSync(join(tmpdir(), 'pm-restart-state-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const state = (over: Partial<RestartState>): RestartState => ({ service: 'web', restarts: [], cooldownUntil: null, pid: null, startTicks: null, startedAt: null, ...over });

test('written behind, coalesced, read back by a new connection', async () => {
  const path = join(dir, 'a.db');
  const first = await openDatabase(path);
  const writer = createRestartStateWriter(first.db, () => 5000, (err) => assert.fail(String(err)));
  const s = state({ restarts: [1000] });
  writer.write(s);
  s.restarts.push(2000); // the writer took a copy: this change is not written until written
  writer.write(state({ restarts: [1000, 2000, 3000], cooldownUntil: 123_000, pid: 42, startTicks: 777, startedAt: 3000 }));
  writer.write(state({ service: 'db', pid: 7, startTicks: 1, startedAt: 10 }));
  await writer.settled();
  await first.close();

  const second = await openDatabase(path);
  const loaded = await loadRestartStates(second.db);
  assert.deepEqual(loaded.get('web'), state({ restarts: [1000, 2000, 3000], cooldownUntil: 123_000, pid: 42, startTicks: 777, startedAt: 3000 }));
  assert.deepEqual(loaded.get('db'), state({ service: 'db', pid: 7, startTicks: 1, startedAt: 10 }));
  // a damaged row keeps its cooldown and instance; its restart times are dropped
  await second.db.updateTable('restart_state').set({ restarts: 'not json' }).where('service', '=', 'web').execute();
  assert.deepEqual((await loadRestartStates(second.db)).get('web')!.restarts, []);
  assert.equal((await loadRestartStates(second.db)).get('web')!.cooldownUntil, 123_000);
  await second.close();
});

test('a failing write is reported to onError and the writer goes on', async () => {
  const opened = await openDatabase(join(dir, 'b.db'));
  const errors: unknown[] = [];
  const writer = createRestartStateWriter(opened.db, () => 0, (err) => errors.push(err));
  await opened.db.schema.dropTable('restart_state').execute();
  writer.write(state({}));
  await writer.settled();
  assert.equal(errors.length, 1);
  await opened.close();
});
