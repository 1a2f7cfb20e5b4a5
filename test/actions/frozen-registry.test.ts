/**
 * The frozen registry with real SQLite and a real stopped process: what one run froze
 * is known to the next (restore), and thaw_after continues it on the injected clock.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtualTimeScheduler } from 'rxjs';
import { ownChildren, stateOf, waitUntil } from './own-children.js';
import { createFrozenRegistry, type FrozenStore } from '../../src/actions/frozen-registry.js';
import { openDatabase } from '../../src/storage/database.js';
import { deleteFrozen, loadFrozen, saveFrozen } from '../../src/storage/frozen-repository.js';
import { parsePidStat } from '../../src/collectors/processes.js';
import { memoryLogger } from '../../src/log/logger.js';
import { spareNow } from '../../src/actions/spare-now.js';

test('frozen registry: a freeze recorded by one run is listed by the next, and thaw_after continues it', { timeout: 30_000 }, async () => {
  const kids = ownChildren();
  const dir = mkdtempSync(join(tmpdir(), 'pm-frozen-'));
  const opened = await openDatabase(join(dir, 'incidents.db'));
  try {
    const store: FrozenStore = { save: (rows) => saveFrozen(opened.db, rows), remove: (keys) => deleteFrozen(opened.db, keys) };
    const c = kids.spawn('/bin/sleep', ['30']);
    await waitUntil(() => stateOf(c.pid!) !== null, 5_000, 'child up');
    const startTicks = parsePidStat(readFileSync(`/proc/${c.pid}/stat`, 'utf8'))!.startTicks;
    const host = kids.host();
    process.kill(c.pid!, 'SIGSTOP');
    await waitUntil(() => stateOf(c.pid!) === 'T', 5_000, 'stopped');

    const first = createFrozenRegistry({ host, logger: memoryLogger(), store, scheduler: new VirtualTimeScheduler() });
    first.add([{ pid: c.pid!, startTicks, name: 'sleep', cmdline: '/bin/sleep 30', frozenAt: 0, action: 'freeze_top_process', reason: 'CPU', incidentKey: 'k', thawAt: 60_000 }]);
    first.close(); // the agent stops: the process stays frozen
    let rows = await loadFrozen(opened.db);
    for (let i = 0; rows.length === 0 && i < 100; i++) rows = (await new Promise((r) => setTimeout(r, 20)), await loadFrozen(opened.db));
    assert.equal(rows.length, 1);

    const clock = new VirtualTimeScheduler();
    const logger = memoryLogger();
    const second = createFrozenRegistry({ host, logger, store, scheduler: clock });
    second.restore(rows);
    assert.deepEqual(second.list().map((f) => [f.pid, f.thawAt]), [[c.pid, 60_000]]);
    assert.equal(stateOf(c.pid!), 'T');
    clock.flush(); // 60 s pass
    assert.deepEqual(host.signals, [{ pid: c.pid, signal: 'SIGCONT' }]);
    await waitUntil(() => stateOf(c.pid!) === 'S', 5_000, 'running again');
    assert.deepEqual(second.list(), []);
    assert.ok(logger.lines.some((l) => l.includes(`thawed pid ${c.pid} (sleep)`) && l.includes('thaw_after')), logger.lines.join('\n'));
    for (let i = 0; (await loadFrozen(opened.db)).length > 0 && i < 100; i++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(await loadFrozen(opened.db), [], 'the row is gone once thawed');
  } finally {
    await kids.killAll();
    await opened.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('onFrozen (for other parts that freeze) records real pids with their start time; spareNow answers for this moment', { timeout: 30_000 }, async () => {
  const kids = ownChildren();
  try {
    const c = kids.spawn('/bin/sleep', ['30']);
    const me = kids.spawn('/bin/sleep', ['30']);
    await waitUntil(() => stateOf(c.pid!) !== null && stateOf(me.pid!) !== null, 5_000, 'children up');
    const host = kids.host({ pid: me.pid! });
    const registry = createFrozenRegistry({ host, logger: memoryLogger() });
    process.kill(c.pid!, 'SIGSTOP');
    registry.onFrozen([c.pid!, 999_999_999], 'fork bomb', 'fork_bomb');
    const [f, ...rest] = registry.list();
    assert.deepEqual(rest, [], 'a pid that does not exist is skipped');
    assert.equal(f!.pid, c.pid);
    assert.equal(f!.name, 'sleep');
    assert.equal(f!.cmdline, '/bin/sleep 30');
    assert.equal(f!.startTicks, parsePidStat(readFileSync(`/proc/${c.pid}/stat`, 'utf8'))!.startTicks);
    assert.equal(registry.isFrozen(c.pid!), true);
    assert.equal(registry.isFrozen(999_999_999), false);
    assert.equal(registry.thaw('all').thawed.length, 1);
    assert.equal(registry.isFrozen(c.pid!), false, 'thawed: no longer frozen');
    // a fork bomb's kill after its grace: the killed are forgotten, never signalled
    await waitUntil(() => stateOf(c.pid!) === 'S', 5_000, 'running again');
    process.kill(c.pid!, 'SIGSTOP');
    await waitUntil(() => stateOf(c.pid!) === 'T', 5_000, 'stopped');
    registry.onFrozen([c.pid!], 'fork bomb', 'fork_bomb');
    registry.forget([c.pid!, 12345678]);
    assert.deepEqual(registry.list(), []);
    await new Promise((r) => setTimeout(r, 200)); // time for a SIGCONT, were one sent
    assert.equal(stateOf(c.pid!), 'T', 'forget sends no SIGCONT');
    process.kill(c.pid!, 'SIGCONT');

    const spare = await spareNow(host);
    assert.equal(spare(me.pid!), 'PanicMode itself');
    assert.equal(spare(c.pid!), null);
    assert.equal(spare(1), 'PID 1 (init)');
  } finally {
    await kids.killAll();
  }
});
