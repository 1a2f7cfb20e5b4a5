/**
 * Protection first when storage fails (issue 7, item 4): with the `blocked_ips` table
 * unusable (renamed away under the running manager: every read and write of it fails, as
 * on a full disk), bans still go into the firewall, are listed and lifted on time from
 * memory, the firewall's circuit breaker never opens, the operator is told, and the rows
 * are written once storage works again. Real SQLite, real block/unblock scripts.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../src/storage/database.js';
import { createBanManager } from '../../src/firewall/ban-manager.js';
import { createScriptBackend } from '../../src/firewall/script-backend.js';
import { createNeverBlock } from '../../src/firewall/never-block.js';
import { activeBans, findBans } from '../../src/firewall/ban-store.js';
import { blockIpAction } from '../../src/actions/block-ip.js';
import { createActionExecutor, type ActionRunRecord } from '../../src/actions/executor.js';
import type { Incident } from '../../src/model/incident.js';
import { memoryLogger } from '../../src/log/logger.js';
import { ActionError, StorageError } from '../../src/errors.js';
import { waitFor } from '../e2e/agent-process.js';
import { recordingScripts } from './recording-scripts.js';

const dir = mkdtempSync(join(tmpdir(), 'pm-ban-storage-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let dbN = 0;

const attackers = Array.from({ length: 50 }, (_, i) => `203.0.113.${i + 1}`);

const incidentFor = (ip: string): Incident => ({
  key: `ssh|${ip}`,
  name: 'ssh_brute_force',
  severity: 'critical',
  description: `6 SSH auth failures from ${ip}`,
  actions: ['block_ip', 'alert_critical'],
  metadata: { monitorType: 'auth_failures', threshold: 5, currentValue: 6, details: `from ${ip}`, ips: [ip] },
  ts: Date.now(),
  status: 'firing',
  count: 1,
});

const setup = async (banMs: number) => {
  const scripts = recordingScripts();
  const opened = await openDatabase(join(dir, `bans-${dbN++}.db`));
  const logger = memoryLogger();
  const storageFailures: string[] = [];
  const manager = createBanManager({
    db: opened.db,
    backend: createScriptBackend({ block_script: scripts.block, unblock_script: scripts.unblock, timeoutMs: 5000, maxConcurrency: 4, logger }),
    options: { restore_on_startup: true, ban_duration: banMs, ban_increment: { enabled: false, factor: 2, max: banMs }, ipv6_prefix: 64 },
    neverBlock: createNeverBlock({ whitelist: [], ownAddresses: () => [] }),
    logger,
    circuit: { max_failures: 2, failure_window: 60_000, open_duration: 60_000, max_concurrency: 4, timeout: 5000 },
    onStorageFailure: (m) => storageFailures.push(m),
    storageRetryMs: 50,
  });
  const runs: ActionRunRecord[] = [];
  // The executor's breaker as the agent builds it, tight: two failures would open it.
  const executor = createActionExecutor({
    actions: new Map([['block_ip', blockIpAction(manager)]]),
    dryRun: false,
    timeoutMs: 10_000,
    maxConcurrency: 5,
    breaker: { maxFailures: 2, failureWindowMs: 60_000, openDurationMs: 60_000 },
    logger,
    record: (r) => runs.push(r),
  });
  const breakStorage = () => opened.sqlite.exec('ALTER TABLE blocked_ips RENAME TO blocked_ips_unreachable');
  const repairStorage = () => opened.sqlite.exec('ALTER TABLE blocked_ips_unreachable RENAME TO blocked_ips');
  const blocks = () => scripts.calls().filter((c) => c.startsWith('block '));
  const unblocks = () => scripts.calls().filter((c) => c.startsWith('unblock '));
  return {
    scripts, opened, logger, manager, executor, runs, storageFailures, breakStorage, repairStorage, blocks, unblocks,
    close: async () => {
      await manager.stop();
      await opened.close();
      scripts.remove();
    },
  };
};

test('storage failing: all 50 attackers are blocked through the executor, the breaker stays closed, the operator is told; rows written once storage recovers', async () => {
  const s = await setup(3_600_000);
  try {
    await s.manager.start();
    s.breakStorage();
    for (const ip of attackers) await s.executor.runProtective(incidentFor(ip));

    assert.equal(s.blocks().length, 50, 'every attacker reached the block script');
    assert.deepEqual(s.runs.filter((r) => r.outcome !== 'ok').map((r) => `${r.outcome}: ${r.message}`), [], 'no run failed or was skipped (circuit open)');
    assert.ok(s.storageFailures.some((m) => /ban record\(s\) not written: .*no such table/.test(m)), `the operator hook heard about it: ${s.storageFailures[0]}`);
    assert.equal((await s.manager.list()).length, 50, 'ctl list shows the bans in force, recorded or not');

    // Already banned in memory: a second incident for the same attacker runs no script.
    await s.executor.runProtective(incidentFor(attackers[0]!));
    assert.equal(s.blocks().length, 50);

    s.repairStorage();
    await waitFor(() => s.logger.lines.some((l) => l.includes('ban storage recovered')), 10_000, 'the retry to write the pending rows');
    const rows = await activeBans(s.opened.db);
    assert.deepEqual(rows.map((r) => r.ip).sort(), [...attackers].sort(), 'every pending ban row was written');
  } finally {
    await s.close();
  }
});

test('storage failing: bans that were never recorded are lifted on time from memory, and recorded as lifted later', async () => {
  const s = await setup(300);
  try {
    await s.manager.start();
    s.breakStorage();
    const r = await s.manager.block(attackers.slice(0, 5), { reason: 'ssh' });
    assert.equal(r.banned.length, 5);
    assert.equal(r.failed.length, 0);
    await waitFor(() => s.unblocks().length === 5, 10_000, 'the five bans to be lifted');
    assert.deepEqual(await s.manager.list(), []);
    s.repairStorage();
    await waitFor(() => s.logger.lines.some((l) => l.includes('ban storage recovered')), 10_000, 'the pending rows to be written');
    const rows = await findBans(s.opened.db, attackers.slice(0, 5));
    assert.equal(rows.length, 5);
    assert.ok(rows.every((row) => row.active === 0), 'written as lifted: a restart will not re-apply them');
  } finally {
    await s.close();
  }
});

test('storage failing at start: the manager starts (nothing to restore) and still bans', async () => {
  const s = await setup(3_600_000);
  try {
    s.breakStorage();
    await s.manager.start();
    assert.match(s.storageFailures[0] ?? '', /not read/);
    const r = await s.manager.block(['192.0.2.1'], { reason: 'ssh' });
    assert.deepEqual(r.banned.map((b) => b.ip), ['192.0.2.1']);
    assert.deepEqual(s.blocks(), ['block 1 192.0.2.1']);
  } finally {
    s.repairStorage();
    await s.close();
  }
});

test('the action circuit breaker counts an action\'s own failures, never a storage error it surfaces', async () => {
  const logger = memoryLogger();
  const runs: ActionRunRecord[] = [];
  let attempts = 0;
  let fail: () => never = () => {
    throw new StorageError('blocked_ips: write: database or disk is full');
  };
  const executor = createActionExecutor({
    actions: new Map([['block_ip', { name: 'block_ip', kind: 'protective' as const, run: async () => (attempts++, fail()) }]]),
    dryRun: false,
    timeoutMs: 10_000,
    maxConcurrency: 1,
    breaker: { maxFailures: 2, failureWindowMs: 60_000, openDurationMs: 60_000 },
    logger,
    record: (r) => runs.push(r),
  });
  for (const ip of attackers.slice(0, 5)) await executor.runProtective(incidentFor(ip));
  assert.equal(attempts, 5, 'storage errors left the circuit closed');
  // The breaker still does its job for the action's own failures.
  fail = () => {
    throw new ActionError('block_ip', 'block script exited with 3');
  };
  for (const ip of attackers.slice(5, 10)) await executor.runProtective(incidentFor(ip));
  assert.equal(attempts, 7, 'two firewall failures open it');
  assert.equal(runs.filter((r) => r.outcome === 'skipped').length, 3);
});
