/**
 * The supervisor in virtual time: a fixture process table (pids with start times, as the
 * stat files say) and its launcher, whose services crash when told (src/testing/service-fixtures.ts), driven by a
 * VirtualTimeScheduler stepped 100 ms at a time — the supervisor takes every timer and
 * timestamp from the scheduler it is given, so minutes of restarts, cooldowns and
 * stable runs take milliseconds. The restart state lives in a real SQLite database.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtualAction, VirtualTimeScheduler } from 'rxjs';
import { isRight } from 'fp-ts/lib/Either.js';
import { SupervisedProcess, type SupervisedProcessConfig } from '../../src/config/schema.js';
import { openDatabase } from '../../src/storage/database.js';
import { memoryLogger } from '../../src/log/logger.js';
import type { Incident } from '../../src/model/incident.js';
import { createSupervisor } from '../../src/supervision/supervisor.js';
import { FixtureProcessTable, fixtureLauncher, type FixtureService } from '../../src/testing/service-fixtures.js';

const entry = (yaml: Record<string, unknown>): SupervisedProcessConfig => {
  const r = SupervisedProcess.decode({ name: 'web', start_command: 'web-server', start_timeout: '0s', ...yaml });
  if (!isRight(r)) throw new Error('bad test entry');
  return r.right;
};

const world = async () => {
  const scheduler = new VirtualTimeScheduler(VirtualAction, 0);
  const procs = new FixtureProcessTable(() => scheduler.now());
  const opened = await openDatabase(':memory:');
  // the service `web` (every test's entry) lives as setLifetime says; the launcher reads it at each start
  const services = new Map<string, FixtureService>();
  const { launcher, stops, starts } = fixtureLauncher(procs, scheduler, services);
  /** Runs virtual time up to `t` ms, 100 ms at a time, letting each check's promises settle. */
  const runTo = async (t: number) => {
    while (scheduler.frame < t) {
      const next = Math.min(t, scheduler.frame + 100);
      scheduler.maxFrames = next;
      scheduler.flush();
      // what the timers started (a check's process-table read, a start) settles at their time
      for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
      scheduler.frame = next;
    }
  };
  const supervise = async (entries: SupervisedProcessConfig[], dryRun = false, spare?: (pid: number) => string | null) => {
    const sup = await createSupervisor(entries, { host: procs.host, db: opened.db, logger: memoryLogger(), scheduler, intervalMs: 1000, commandTimeoutMs: 10_000, launcher, dryRun, spare });
    const incidents: Incident[] = [];
    const sub = sup.incidents$.subscribe((i) => incidents.push(i));
    return { sup, incidents, stop: async () => (sub.unsubscribe(), await sup.settled()) };
  };
  return {
    scheduler, procs, opened, stops, launcher, runTo, supervise,
    /** when the instances were started */
    get starts() {
      return starts.map((s) => s.at);
    },
    /** each instance lives `ms` (Infinity: runs), then exits with `code` (0: a launcher that forked its daemon) */
    setLifetime: (ms: number, code = 1) => void services.set('web', { lives: [ms === Infinity ? null : ms], exit: code }),
  };
};

const firing = (incidents: Incident[], kind: string) => incidents.filter((i) => i.key.endsWith(`|${kind}`) && i.status === 'firing');

describe('supervisor (virtual time)', () => {
  test('more than max_restarts within restart_window: cooldown with one critical incident, then retried with a fresh count', async () => {
    const w = await world();
    w.setLifetime(200); // crashes 200 ms after every start
    const s = await w.supervise([entry({ max_restarts: 3, restart_window: '1m', cooldown: '30s' })]);
    await w.runTo(3_500);
    assert.deepEqual(w.starts, [0, 1000, 2000], 'three restarts; the fourth attempt (3 s) breaks the budget');
    const loops = firing(s.incidents, 'crash_loop');
    assert.equal(loops.length, 1);
    assert.equal(loops[0]!.severity, 'critical');
    assert.equal(loops[0]!.ts, 3000);
    await w.runTo(32_900);
    assert.equal(w.starts.length, 3, 'nothing started during the cooldown');
    await w.runTo(35_500);
    assert.deepEqual(w.starts.slice(3), [33_000, 34_000, 35_000], 'retried at the end of the cooldown, counting afresh');
    assert.equal(firing(s.incidents, 'crash_loop').length, 1, 'alerted once');
    assert.ok(firing(s.incidents, 'down').length >= 3);
    await s.stop();
    await w.opened.close();
  });

  test('running stable_after since its start forgets the restarts: a service crashing every 70 s never loops', async () => {
    const w = await world();
    w.setLifetime(70_000);
    const s = await w.supervise([entry({ max_restarts: 1, restart_window: '10m', stable_after: '1m' })]);
    await w.runTo(400_000);
    assert.ok(w.starts.length >= 5, `restarted after each crash (${w.starts.length})`);
    assert.equal(firing(s.incidents, 'crash_loop').length, 0);
    await s.stop();
    await w.opened.close();
  });

  test('the same crashes without stable runs loop (the test above can fail)', async () => {
    const w = await world();
    w.setLifetime(30_000);
    const s = await w.supervise([entry({ max_restarts: 1, restart_window: '10m', stable_after: '1m' })]);
    await w.runTo(100_000);
    assert.equal(firing(s.incidents, 'crash_loop').length, 1);
    await s.stop();
    await w.opened.close();
  });

  test('a supervisor started again keeps the cooldown from SQLite (no start, no second alert) and retries after it', async () => {
    const w = await world();
    w.setLifetime(200);
    const e = entry({ max_restarts: 3, restart_window: '1m', cooldown: '30s' });
    const first = await w.supervise([e]);
    await w.runTo(3_500);
    assert.equal(firing(first.incidents, 'crash_loop').length, 1);
    await first.stop(); // the agent goes away in the cooldown...
    await w.runTo(10_000);
    const second = await w.supervise([e]); // ...and a new one starts at 10 s
    await w.runTo(32_900);
    assert.equal(w.starts.length, 3, 'the new supervisor waits for the cooldown');
    assert.equal(firing(second.incidents, 'crash_loop').length, 0, 'and does not alert again');
    await w.runTo(33_500);
    assert.equal(w.starts.length, 4, 'retried when the cooldown is over');
    await second.stop();
    await w.opened.close();
  });

  test('a supervisor started again finds the instance it had started (by pid and start time): no second start', async () => {
    const w = await world();
    const e = entry({});
    const first = await w.supervise([e]);
    await w.runTo(2_500);
    assert.equal(w.starts.length, 1);
    await first.stop();
    const second = await w.supervise([e]);
    await w.runTo(10_000);
    assert.equal(w.starts.length, 1);
    assert.equal(w.procs.procs.size, 2, 'init and the one service');
    // the pid recycled by another process is not the service
    const pid = [...w.procs.procs.keys()].find((p) => p !== 1);
    await second.stop();
    w.procs.exit(pid!);
    w.procs.procs.set(pid!, { name: 'other', cmdline: 'other', startTicks: 99_999, state: 'S' });
    const third = await w.supervise([e]);
    await w.runTo(11_500);
    assert.equal(w.starts.length, 2, 'a recycled pid is not mistaken for the service');
    await third.stop();
    await w.opened.close();
  });

  test('found by cmdline when its record is lost; a zombie is not running', async () => {
    const w = await world();
    const pid = w.procs.spawn('web-server', 'web-server --port 8080');
    const s = await w.supervise([entry({ cmdline: '^web-server --port \\d+$' })]);
    await w.runTo(2_500);
    assert.equal(w.starts.length, 0, 'the running service was found, not started again');
    w.procs.procs.get(pid)!.state = 'Z';
    await w.runTo(3_500);
    assert.equal(w.starts.length, 1);
    assert.equal(firing(s.incidents, 'down').length, 1);
    await s.stop();
    await w.opened.close();
  });

  test('an agent that lost its record of a start finds the service by its marker, not an orphaned worker of it', async () => {
    const w = await world();
    const env = ['PATH=/usr/bin', 'PANICMODE_SERVICE=web'];
    // an orphaned worker of an older instance (older, not a group leader), then the instance started last
    w.procs.procs.set(500, { name: 'sleep', cmdline: 'sleep 300', startTicks: 1, state: 'S', pgrp: 499, env });
    w.procs.procs.set(600, { name: 'sleep', cmdline: 'sleep 300', startTicks: 2, state: 'S', env });
    const s = await w.supervise([entry({ start_command: 'exec sleep 300', match: 'no-such-name' })]);
    await w.runTo(3_500);
    assert.equal(w.starts.length, 0, 'found by its marker: not started again');
    await s.stop();
    const row = await w.opened.db.selectFrom('restart_state').selectAll().executeTakeFirstOrThrow();
    assert.equal(row.pid, 600);
    await w.opened.close();
  });

  test('an orphaned worker with the marker alone is not the service: it is started', async () => {
    const w = await world();
    w.procs.procs.set(500, { name: 'sleep', cmdline: 'sleep 300', startTicks: 1, state: 'S', pgrp: 499, env: ['PANICMODE_SERVICE=web'] });
    const s = await w.supervise([entry({ start_command: 'exec sleep 300', match: 'no-such-name' })]);
    await w.runTo(1_500);
    assert.equal(w.starts.length, 1);
    await s.stop();
    await w.opened.close();
  });

  test('a daemon whose launcher exits first is given start_timeout to write its pidfile: no down, no second start', async () => {
    const w = await world();
    const dir = mkdtempSync(join(tmpdir(), 'pm-pidfile-'));
    try {
      const pidfile = join(dir, 'web.pid');
      w.setLifetime(100, 0); // the launcher forks the daemon and exits 0
      w.scheduler.schedule(() => writeFileSync(pidfile, `${w.procs.spawn('web-daemon', 'web-daemon')}\n`), 1500);
      const s = await w.supervise([entry({ pidfile, start_timeout: '3s' })]);
      await w.runTo(10_000);
      assert.equal(w.starts.length, 1);
      assert.equal(firing(s.incidents, 'down').length, 0);
      await s.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await w.opened.close();
    }
  });

  test('a service that dies (not 0) within start_timeout is reported down, and started again after start_timeout', async () => {
    const w = await world();
    w.setLifetime(500, 137); // killed half a second after each start
    const s = await w.supervise([entry({ start_timeout: '3s', max_restarts: 10 })]);
    await w.runTo(3_500);
    assert.deepEqual(w.starts, [0, 3000]);
    assert.equal(firing(s.incidents, 'down').length, 1);
    await s.stop();
    await w.opened.close();
  });

  test('a service killed before any check saw it running (gone before its start was read back) is reported down all the same, once', async () => {
    const w = await world();
    w.setLifetime(0);
    const s = await w.supervise([entry({ start_timeout: '3s', max_restarts: 10 })]);
    await w.runTo(2_500);
    assert.deepEqual(w.starts, [0]);
    const down = firing(s.incidents, 'down');
    assert.equal(down.length, 1, 'one down incident, not one per check');
    assert.equal(down[0]!.ts, 1000, 'at the first check after the start');
    assert.deepEqual(down[0]!.metadata.pids, [1000], 'naming the pid it launched');
    await w.runTo(3_500);
    assert.deepEqual(w.starts, [0, 3000], 'started again after start_timeout');
    await s.stop();
    await w.opened.close();
  });

  test('a launcher that exits 0 without a daemon showing up within start_timeout: reported down once start_timeout is over, then started again', async () => {
    const w = await world();
    w.setLifetime(100, 0);
    const s = await w.supervise([entry({ start_timeout: '3s', max_restarts: 10 })]);
    await w.runTo(2_900);
    assert.equal(firing(s.incidents, 'down').length, 0, 'the daemon has start_timeout to show up');
    await w.runTo(3_500);
    const down = firing(s.incidents, 'down');
    assert.equal(down.length, 1);
    assert.equal(down[0]!.ts, 3000);
    assert.deepEqual(w.starts, [0, 3000]);
    await s.stop();
    await w.opened.close();
  });

  test('dry run, or auto_restart off: a service not running is reported once and not started', async () => {
    const w = await world();
    const dry = await w.supervise([entry({})], true);
    const off = await w.supervise([entry({ name: 'db', auto_restart: false })]);
    await w.runTo(10_000);
    assert.equal(w.starts.length, 0);
    assert.deepEqual(firing(dry.incidents, 'down').map((i) => i.description), ['web is not running; dry run: not started']);
    assert.deepEqual(firing(off.incidents, 'down').map((i) => i.description), ['db is not running; auto_restart is off']);
    await dry.stop();
    await off.stop();
    await w.opened.close();
  });

  test('restart_process restarts the service named by the incident pid, within its budget; other pids are skipped', async () => {
    const w = await world();
    const s = await w.supervise([entry({ max_restarts: 2, restart_window: '1m' })]);
    await w.runTo(1_500);
    const pid = [...w.procs.procs.keys()].find((p) => p !== 1)!;
    assert.equal((await s.sup.restartFor([4242], false)).outcome, 'skipped');
    assert.match((await s.sup.restartFor([pid], true)).summary, /would restart web/);
    const r = await s.sup.restartFor([pid], false);
    assert.equal(r.outcome, 'ok');
    assert.match(r.summary, /restarted web/);
    assert.equal(w.procs.procs.has(pid), false, 'the old instance was stopped');
    assert.equal(w.starts.length, 2);
    const now = [...w.procs.procs.keys()].find((p) => p !== 1)!;
    assert.match((await s.sup.restartFor([now], false)).summary, /crash loop/, 'the third start within a minute breaks a budget of 2');
    assert.equal(firing(s.incidents, 'crash_loop').length, 1);
    await s.stop();
    await w.opened.close();
  });

  test('restart_process leaves a spared process alone (the never-touched rule decides, not supervision)', async () => {
    const w = await world();
    const s = await w.supervise([entry({})], false, () => 'an ancestor of PanicMode');
    await w.runTo(1_500);
    const pid = [...w.procs.procs.keys()].find((p) => p !== 1)!;
    assert.match((await s.sup.restartFor([pid], false)).summary, /left web \(pid \d+\) alone: an ancestor of PanicMode/);
    assert.deepEqual(w.stops, []);
    assert.equal(w.starts.length, 1);
    await s.stop();
    await w.opened.close();
  });

  test('restart_process of a systemd unit leaves the stopping to systemctl restart', async () => {
    const w = await world();
    const s = await w.supervise([entry({ start_command: undefined, systemd_unit: 'web.service', cmdline: '^web' })]);
    await w.runTo(1_500);
    const pid = [...w.procs.procs.keys()].find((p) => p !== 1)!;
    assert.equal((await s.sup.restartFor([pid], false)).outcome, 'ok');
    assert.deepEqual(w.stops, []);
    assert.equal(w.starts.length, 2);
    await s.stop();
    await w.opened.close();
  });
});
