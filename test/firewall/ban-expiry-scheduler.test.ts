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
import type { FirewallBackend } from '../../src/firewall/backend.js';
import { openDatabase } from '../../src/storage/database.js';
import { memoryLogger } from '../../src/log/logger.js';
import { flushSettling } from '../../src/testing/virtual-time-driver.js';

test('a ban is lifted at its end on the virtual clock, and not before', async () => {
  const scheduler = new VirtualTimeScheduler(VirtualAction, 2 * 3_600_000);
  const opened = await openDatabase(':memory:');
  const unbans: { at: number; targets: readonly string[] }[] = [];
  const backend: FirewallBackend = {
    name: 'dry_run',
    start: async () => {},
    check: async () => {},
    ban: async () => [],
    unban: async (targets) => {
      unbans.push({ at: scheduler.now(), targets });
      return [];
    },
    list: async () => [],
    flush: async () => {},
    stop: async () => {},
  };
  const manager = createBanManager({
    db: opened.db,
    backend,
    options: { restore_on_startup: true, ban_duration: 3_600_000, ban_increment: { enabled: false, factor: 2, max: 4 * 3_600_000 }, ipv6_prefix: 64 },
    neverBlock: createNeverBlock({ whitelist: [], ownAddresses: () => [] }),
    logger: memoryLogger(),
    scheduler,
  });
  try {
    await manager.start();
    const r = await manager.block(['203.0.113.7'], { reason: 'test' });
    assert.deepEqual(r.banned.map((b) => [b.ip, b.expires_at]), [['203.0.113.7', 3_600_000]]);
    await flushSettling(scheduler, () => false);
    assert.deepEqual(unbans, [{ at: 3_600_000, targets: ['203.0.113.7'] }]);
    assert.deepEqual(await manager.list(), []);
  } finally {
    await manager.stop();
    await opened.close();
  }
});
