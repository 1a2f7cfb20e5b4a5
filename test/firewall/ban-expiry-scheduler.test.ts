/**
 * Ban expiry runs on the pipeline's scheduler: under virtual time a ban is lifted when
 * the virtual clock reaches its end, as the agent's clock would (issue 9: one scheduler
 * for every timer of the pipeline). Before, the expiry timer was a Node timer, so a
 * virtual hour lifted nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualAction, VirtualTimeScheduler } from 'rxjs';
import { createBanManager } from '../../src/firewall/ban-manager.js';
import { createNeverBlock } from '../../src/firewall/never-block.js';
import type { FirewallBackend, TargetFailure } from '../../src/firewall/backend.js';
import { activeBans } from '../../src/firewall/ban-store.js';
import { openDatabase } from '../../src/storage/database.js';
import { memoryLogger } from '../../src/log/logger.js';
import { flushSettling } from '../../src/testing/virtual-time-driver.js';

const HOUR = 3_600_000;

/**
 * A ban manager on `scheduler` over an in-memory database, bans of an hour, and a
 * backend whose `ban` and `unban` the test gives (the rest does nothing).
 */
const managerOn = async (scheduler: VirtualTimeScheduler, calls: Partial<Pick<FirewallBackend, 'ban' | 'unban'>>) => {
  const opened = await openDatabase(':memory:');
  const backend: FirewallBackend = {
    name: 'dry_run',
    start: async () => {},
    check: async () => {},
    ban: async () => [],
    unban: async () => [],
    list: async () => [],
    flush: async () => {},
    stop: async () => {},
    ...calls,
  };
  const manager = createBanManager({
    db: opened.db,
    backend,
    options: { restore_on_startup: true, ban_duration: HOUR, ban_increment: { enabled: false, factor: 2, max: 4 * HOUR }, ipv6_prefix: 64 },
    neverBlock: createNeverBlock({ whitelist: [], ownAddresses: () => [] }),
    logger: memoryLogger(),
    scheduler,
  });
  return { manager, opened };
};

test('a ban is lifted at its end on the virtual clock, and not before', async () => {
  const scheduler = new VirtualTimeScheduler(VirtualAction, 2 * HOUR);
  const unbans: { at: number; targets: readonly string[] }[] = [];
  const { manager, opened } = await managerOn(scheduler, {
    unban: async (targets) => {
      unbans.push({ at: scheduler.now(), targets });
      return [];
    },
  });
  try {
    await manager.start();
    const r = await manager.block(['203.0.113.7'], { reason: 'test' });
    assert.deepEqual(r.banned.map((b) => [b.ip, b.expires_at]), [['203.0.113.7', HOUR]]);
    await flushSettling(scheduler, () => false);
    assert.deepEqual(unbans, [{ at: HOUR, targets: ['203.0.113.7'] }]);
    assert.deepEqual(await manager.list(), []);
  } finally {
    await manager.stop();
    await opened.close();
  }
});

/**
 * `ctl list` is exact about a lift under way: a ban stays listed, `lifting`, from its
 * expiry until its unblock returns OK, and a failed unblock is listed with its error while
 * it waits for its retry. Before, a ban vanished from the list the moment it was due,
 * although the firewall still held it (and held it on when the unblock failed).
 */
test('a ban whose unblock is slow or fails is listed `lifting` (with the error) until its unblock returns OK', async () => {
  const scheduler = new VirtualTimeScheduler(VirtualAction, HOUR);
  /** each unban call, settled by the test: [] lifts it, a failure keeps it */
  const unbans: { at: number; targets: readonly string[]; settle: (failures: TargetFailure[]) => void }[] = [];
  const { manager, opened } = await managerOn(scheduler, {
    unban: (targets) => new Promise((settle) => unbans.push({ at: scheduler.now(), targets, settle })),
  });
  const states = async () => (await manager.list()).map((b) => [b.ip, b.state, b.lift_error]);
  const settled = () => new Promise<void>((r) => setImmediate(r));
  try {
    await manager.start();
    await manager.block(['203.0.113.7'], { reason: 'test' });
    assert.deepEqual(await states(), [['203.0.113.7', 'in force', null]]);

    // Due at 1 h: the unblock is called and has not returned.
    await flushSettling(scheduler, () => false);
    assert.deepEqual(unbans.map((u) => [u.at, u.targets]), [[HOUR, ['203.0.113.7']]]);
    assert.deepEqual(await states(), [['203.0.113.7', 'lifting', null]], 'listed while its unblock runs');

    // It fails: still held, still listed, with the reason, and tried again 10 s later.
    unbans[0]!.settle([{ target: '203.0.113.7', error: new Error('unblock script exited with code 3: nft busy') }]);
    await settled();
    assert.deepEqual(await states(), [['203.0.113.7', 'lifting', 'unblock script exited with code 3: nft busy']]);
    assert.equal((await activeBans(opened.db)).length, 1, 'its row stays active');

    // A ban put in force meanwhile re-arms the timer: the retry keeps its time, it does not run at once.
    scheduler.frame = HOUR + 1000;
    scheduler.maxFrames = HOUR + 9_999;
    await manager.block(['198.18.0.9'], { reason: 'other', durationMs: HOUR });
    await flushSettling(scheduler, () => false);
    assert.equal(unbans.length, 1, 'no retry before its time');

    scheduler.maxFrames = HOUR + 10_000;
    await flushSettling(scheduler, () => false);
    assert.deepEqual(unbans.map((u) => u.at), [HOUR, HOUR + 10_000]);
    assert.deepEqual((await states())[0], ['203.0.113.7', 'lifting', 'unblock script exited with code 3: nft busy'], 'the retry runs: the last error stays until it returns');

    // The retry returns OK: only now does the ban leave the list.
    unbans[1]!.settle([]);
    await settled();
    assert.deepEqual(await states(), [['198.18.0.9', 'in force', null]]);
    assert.deepEqual((await activeBans(opened.db)).map((r) => r.ip), ['198.18.0.9']);

    // Asked to be lifted: `lifting` while the unblock runs; a failure here puts it back in force.
    const asked = manager.unblock('198.18.0.9');
    await settled();
    assert.deepEqual(await states(), [['198.18.0.9', 'lifting', null]]);
    unbans[2]!.settle([{ target: '198.18.0.9', error: new Error('nft busy') }]);
    await assert.rejects(asked, /nft busy/);
    assert.deepEqual(await states(), [['198.18.0.9', 'in force', null]]);
  } finally {
    for (const u of unbans) u.settle([]);
    await manager.stop();
    await opened.close();
  }
});

/**
 * An attacker banned again as its ban ends: the new ban, in flight when the expiry timer
 * fires, supersedes the old one. Before, the timer lifted the old row behind the new ban's
 * back: its unblock ran after the new block, the firewall dropped the address, and the new
 * row was forgotten, so the attacker went free an instant after being banned again.
 */
test('a ban put in force again as it ends is not lifted by the expiry of the ban it replaces', async () => {
  const scheduler = new VirtualTimeScheduler(VirtualAction, HOUR);
  const unbans: (readonly string[])[] = [];
  /** settles the ban call in flight, when one is */
  let releaseBan: (() => void) | undefined;
  let slowBans = false;
  const { manager, opened } = await managerOn(scheduler, {
    ban: () => (slowBans ? new Promise((resolve) => (releaseBan = () => resolve([]))) : Promise.resolve([])),
    unban: async (targets) => {
      unbans.push(targets);
      return [];
    },
  });
  const turn = () => new Promise<void>((r) => setImmediate(r));
  try {
    await manager.start();
    await manager.block(['203.0.113.7'], { reason: 'first' });
    // At its end, before the timer fires, the attacker strikes again: the new ban's block is in flight.
    scheduler.frame = HOUR;
    slowBans = true;
    const again = manager.block(['203.0.113.7'], { reason: 'again' });
    for (let i = 0; i < 20 && !releaseBan; i++) await turn();
    assert.ok(releaseBan, 'the new ban is being put in force');
    await flushSettling(scheduler, () => false); // the expiry timer of the first ban fires
    releaseBan!();
    assert.deepEqual((await again).banned.map((b) => [b.ip, b.expires_at]), [['203.0.113.7', 2 * HOUR]]);
    for (let i = 0; i < 5; i++) await turn();
    assert.deepEqual(unbans, [], 'nothing lifted: the new ban replaced the old one');
    assert.deepEqual((await manager.list()).map((b) => [b.ip, b.state, b.reason]), [['203.0.113.7', 'in force', 'again']]);

    // The new ban ends in its turn.
    scheduler.maxFrames = 2 * HOUR;
    await flushSettling(scheduler, () => false);
    assert.deepEqual(unbans, [['203.0.113.7']]);
    assert.deepEqual(await manager.list(), []);
  } finally {
    releaseBan?.();
    await manager.stop();
    await opened.close();
  }
});
