import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../src/storage/database.js';
import { createBanManager } from '../../src/firewall/ban-manager.js';
import { createScriptBackend } from '../../src/firewall/script-backend.js';
import { createNftBackend } from '../../src/firewall/nft-backend.js';
import { createNeverBlock } from '../../src/firewall/never-block.js';
import { activeBans, findBans } from '../../src/firewall/ban-store.js';
import type { FirewallBackend } from '../../src/firewall/backend.js';
import { blockIpAction } from '../../src/actions/block-ip.js';
import type { Incident } from '../../src/model/incident.js';
import { memoryLogger } from '../../src/log/logger.js';
import { recordingScripts, type RecordingScripts } from './recording-scripts.js';
import { netnsUnavailable, createNetns } from './netns.js';
import { waitFor } from '../e2e/agent-process.js';

const dir = mkdtempSync(join(tmpdir(), 'pm-bans-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let dbN = 0;

const options = { restore_on_startup: true, ban_duration: 3_600_000, ban_increment: { enabled: true, factor: 2, max: 4 * 3_600_000 }, ipv6_prefix: 64 };
const neverBlock = createNeverBlock({ whitelist: ['198.51.100.0/24', '2001:db8:cafe::/48'], ownAddresses: () => ['203.0.113.250', '2001:db8:aa:1::10'] });

const setup = async (o: { backend?: FirewallBackend; scripts?: RecordingScripts; path?: string; now?: () => number; opts?: Partial<typeof options> } = {}) => {
  const scripts = o.scripts ?? recordingScripts();
  const opened = await openDatabase(o.path ?? join(dir, `bans-${dbN++}.db`));
  const logger = memoryLogger();
  const backend =
    o.backend ?? createScriptBackend({ block_script: scripts.block, unblock_script: scripts.unblock, timeoutMs: 5000, maxConcurrency: 4, logger });
  const manager = createBanManager({ db: opened.db, backend, options: { ...options, ...o.opts }, neverBlock, logger, now: o.now, circuit: { max_failures: 2, failure_window: 60_000, open_duration: 60_000, max_concurrency: 4, timeout: 5000 } });
  // scripts made here are removed here, even when the test used its own backend and never touched them
  const close = async () => {
    await manager.stop();
    await opened.close();
    if (!o.scripts) scripts.remove();
  };
  return { scripts, opened, logger, manager, close };
};

test('bans public addresses once, refuses the never-block list with a logged reason, records in SQLite', async () => {
  const s = await setup();
  try {
    await s.manager.start();
    const r = await s.manager.block(['203.0.113.7', '10.0.0.5', '127.0.0.1', '198.51.100.20', '2001:db8:cafe:5::1', '203.0.113.250', 'not-an-ip', '203.0.113.7'], { reason: 'ssh brute force' });
    assert.deepEqual(r.banned.map((b) => b.ip), ['203.0.113.7']);
    assert.deepEqual(r.skipped.map((x) => x.ip), ['10.0.0.5', '127.0.0.1', '198.51.100.20', '2001:db8:cafe:5::1', '203.0.113.250']);
    assert.deepEqual(r.invalid, ['not-an-ip']);
    assert.deepEqual(r.already, [{ ip: '203.0.113.7', by: '203.0.113.7' }], 'a duplicate in the same burst is banned once');
    assert.ok(s.logger.lines.some((l) => l.includes('not blocking 10.0.0.5: RFC 1918 private address')));
    assert.ok(s.logger.lines.some((l) => l.includes('not blocking 127.0.0.1: loopback address')));
    assert.ok(s.logger.lines.some((l) => /not blocking 203\.0\.113\.250: this machine's own address/.test(l)));
    assert.deepEqual(s.scripts.calls(), ['block 1 203.0.113.7']);

    // A second incident naming the same attacker: no second ban, no script run.
    const again = await s.manager.block(['203.0.113.7'], { reason: 'ssh brute force' });
    assert.equal(again.banned.length, 0);
    assert.equal(again.already.length, 1);
    assert.deepEqual(s.scripts.calls(), ['block 1 203.0.113.7']);

    const rows = await activeBans(s.opened.db);
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.reason, 'ssh brute force');
    assert.equal(rows[0]!.backend, 'script');
    assert.equal(rows[0]!.ban_count, 1);
    assert.equal(rows[0]!.expires_at! - rows[0]!.blocked_at, 3_600_000);
  } finally {
    await s.close();
    s.scripts.remove();
  }
});

test('IPv6 offenders are banned as their /64, widening to /56 then /48 on repeat; ban time doubles up to the max', async () => {
  let t = 1_000_000;
  const s = await setup({ now: () => t });
  try {
    await s.manager.start();
    const first = await s.manager.block(['2001:db8:1:2::abcd'], { reason: 'r' });
    assert.deepEqual(first.banned.map((b) => [b.ip, b.expires_at! - b.blocked_at]), [['2001:db8:1:2::/64', 3_600_000]]);
    // Another address in the same /64 is covered already.
    assert.equal((await s.manager.block(['2001:db8:1:2::9'], { reason: 'r' })).already[0]!.by, '2001:db8:1:2::/64');
    t += 3_600_001;
    await s.manager.liftExpired();
    const second = await s.manager.block(['2001:db8:1:2::abcd'], { reason: 'r' });
    assert.deepEqual(second.banned.map((b) => [b.ip, b.ban_count, b.expires_at! - b.blocked_at]), [['2001:db8:1::/56', 2, 7_200_000]]);
    t += 7_200_001;
    await s.manager.liftExpired();
    const third = await s.manager.block(['2001:db8:1:2::abcd'], { reason: 'r' });
    assert.deepEqual(third.banned.map((b) => [b.ip, b.ban_count, b.expires_at! - b.blocked_at]), [['2001:db8:1::/48', 3, 14_400_000]]);
    t += 14_400_001;
    await s.manager.liftExpired();
    const fourth = await s.manager.block(['2001:db8:1:2::abcd'], { reason: 'r' });
    assert.deepEqual(fourth.banned.map((b) => [b.ip, b.ban_count, b.expires_at! - b.blocked_at]), [['2001:db8:1::/48', 4, 14_400_000]], 'capped at max');

    // v4 repeat offender: 1h, then 2h.
    await s.manager.block(['192.0.2.50'], { reason: 'r' });
    t += 3_600_001;
    await s.manager.liftExpired();
    const v4 = await s.manager.block(['192.0.2.50'], { reason: 'r' });
    assert.equal(v4.banned[0]!.expires_at! - v4.banned[0]!.blocked_at, 7_200_000);
    assert.equal((await findBans(s.opened.db, ['192.0.2.50']))[0]!.ban_count, 2);
  } finally {
    await s.close();
    s.scripts.remove();
  }
});

test('a /64 holding our own address is narrowed to the single attacker address', async () => {
  const s = await setup();
  try {
    await s.manager.start();
    const r = await s.manager.block(['2001:db8:aa:1::666'], { reason: 'r' });
    assert.deepEqual(r.banned.map((b) => b.ip), ['2001:db8:aa:1::666']);
  } finally {
    await s.close();
    s.scripts.remove();
  }
});

test('expired bans are lifted on time by the timer (unblock script run, row inactive)', async () => {
  const s = await setup();
  try {
    await s.manager.start();
    await s.manager.block(['192.0.2.60'], { reason: 'short', durationMs: 150 });
    assert.equal((await s.manager.list()).length, 1);
    // Waits for the event rather than a fixed time: on a loaded machine the script takes a while.
    await waitFor(() => s.scripts.calls().length === 2 && s.logger.lines.some((l) => l.includes('ban lifted: 192.0.2.60')), 10_000, 'the ban to be lifted');
    assert.deepEqual(s.scripts.calls(), ['block 1 192.0.2.60', 'unblock 1 192.0.2.60']);
    assert.equal((await activeBans(s.opened.db)).length, 0);
    assert.equal((await s.manager.list()).length, 0);
    assert.ok(s.logger.lines.some((l) => l.includes('ban lifted: 192.0.2.60 (expired)')));
  } finally {
    await s.close();
    s.scripts.remove();
  }
});

test('a ban is lifted once, even when a block re-arms the timer while its unblock waits its turn', async () => {
  const scripts = recordingScripts();
  // A block script that is slow while a flag file exists: the expiry falls inside it, and
  // the firewall runs one call at a time, so the unblock waits behind the block.
  const slowFlag = join(scripts.dir, 'slow');
  const slowBlock = join(scripts.dir, 'slow-block.sh');
  writeFileSync(slowBlock, `#!/bin/sh\n[ -e "${slowFlag}" ] && sleep 1\nexec "${scripts.block}" "$@"\n`, { mode: 0o755 });
  const logger = memoryLogger();
  const backend = createScriptBackend({ block_script: slowBlock, unblock_script: scripts.unblock, timeoutMs: 5000, maxConcurrency: 1, logger });
  const s = await setup({ scripts, backend });
  try {
    await s.manager.start();
    await s.manager.block(['192.0.2.70'], { reason: 'short', durationMs: 300 });
    writeFileSync(slowFlag, '');
    await s.manager.block(['192.0.2.71'], { reason: 'other' }); // 1 s: 192.0.2.70 expires meanwhile
    await waitFor(() => s.logger.lines.some((l) => l.includes('ban lifted: 192.0.2.70')), 10_000, 'the ban to be lifted');
    await new Promise((r) => setTimeout(r, 500)); // a second lift, if any, would have run by now
    assert.deepEqual(s.scripts.calls().filter((c) => c.startsWith('unblock')), ['unblock 1 192.0.2.70']);
  } finally {
    await s.close();
    scripts.remove();
  }
});

test('restart: live bans are re-applied by the idempotent script, bans that expired while down are lifted', async () => {
  const path = join(dir, 'restart.db');
  const scripts = recordingScripts();
  let t = 5_000_000;
  const a = await setup({ scripts, path, now: () => t });
  await a.manager.start();
  await a.manager.block(['192.0.2.70'], { reason: 'long' });
  await a.manager.block(['192.0.2.71'], { reason: 'short', durationMs: 1000 });
  await a.close();
  t += 2000;
  const b = await setup({ scripts, path, now: () => t });
  try {
    const report = await b.manager.start();
    assert.deepEqual(report.expired, ['192.0.2.71']);
    assert.deepEqual(report.added, ['192.0.2.70']);
    assert.deepEqual(scripts.calls(), ['block 1 192.0.2.70', 'block 1 192.0.2.71', 'unblock 1 192.0.2.71', 'block 1 192.0.2.70']);
    assert.deepEqual((await b.manager.list()).map((x) => x.ip), ['192.0.2.70']);
    // The restored ban still counts: no second ban.
    assert.equal((await b.manager.block(['192.0.2.70'], { reason: 'again' })).already.length, 1);
    const lifted = await b.manager.unblock('192.0.2.70');
    assert.deepEqual(lifted.lifted, ['192.0.2.70']);
    assert.equal(scripts.calls().at(-1), 'unblock 1 192.0.2.70');
    assert.deepEqual(await b.manager.list(), []);
  } finally {
    await b.close();
    scripts.remove();
  }
});

test('a broken block script opens the circuit: no more runs until it may try again', async () => {
  const s = await setup();
  try {
    await s.manager.start();
    s.scripts.breakBlock();
    const r1 = await s.manager.block(['192.0.2.80'], { reason: 'r' });
    const r2 = await s.manager.block(['192.0.2.81'], { reason: 'r' });
    assert.equal(r1.failed.length + r2.failed.length, 2);
    const r3 = await s.manager.block(['192.0.2.82'], { reason: 'r' });
    assert.match(r3.failed[0]!.error, /circuit open/);
    assert.deepEqual(await s.manager.list(), [], 'failed bans are not recorded');
  } finally {
    await s.close();
    s.scripts.remove();
  }
});

test('a repeat that finds the ban in flight waits for it: already when it went in, failed when it did not', async () => {
  const s = await setup();
  try {
    await s.manager.start();
    // Both calls are decided before the first ban reaches the backend: the second is covered by it.
    const [ok1, ok2] = await Promise.all([s.manager.block(['192.0.2.90'], { reason: 'r' }), s.manager.block(['192.0.2.90'], { reason: 'r' })]);
    assert.equal(ok1.banned.length, 1);
    assert.deepEqual(ok2.already, [{ ip: '192.0.2.90', by: '192.0.2.90' }]);

    s.scripts.breakBlock();
    const [bad1, bad2] = await Promise.all([s.manager.block(['192.0.2.91'], { reason: 'r' }), s.manager.block(['192.0.2.91'], { reason: 'r' })]);
    assert.equal(bad1.failed.length, 1);
    // Not "already blocked": the incident's protective action was not carried out, so dedup must let its repeat through.
    assert.deepEqual(bad2.already, []);
    assert.equal(bad2.failed.length, 1);
    assert.match(bad2.failed[0]!.error, /in flight failed/);
  } finally {
    await s.close();
    s.scripts.remove();
  }
});

test('10,000 distinct attackers in one burst: each banned once, one backend call per burst', async () => {
  const calls: number[] = [];
  const fake: FirewallBackend = {
    name: 'nftables',
    start: async () => {},
    check: async () => {},
    ban: async (entries) => (calls.push(entries.length), []),
    unban: async () => [],
    list: async () => [],
    flush: async () => {},
    stop: async () => {},
  };
  const s = await setup({ backend: fake });
  try {
    await s.manager.start();
    const ips = Array.from({ length: 10_000 }, (_, i) => `203.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    const [r, dup] = await Promise.all([s.manager.block(ips, { reason: 'flood' }), s.manager.block(ips.slice(0, 100), { reason: 'flood' })]);
    assert.equal(r.banned.length, 10_000);
    assert.equal(dup.banned.length, 0);
    assert.equal(dup.already.length, 100);
    assert.deepEqual(calls, [10_000]);
    assert.equal((await activeBans(s.opened.db)).length, 10_000);
  } finally {
    await s.close();
    s.scripts.remove();
  }
});

test('block_ip action: metadata.ips, else the addresses in details; summary names bans and skips', async () => {
  const s = await setup();
  try {
    await s.manager.start();
    const incident = (meta: Partial<Incident['metadata']>): Incident => ({
      key: 'k', name: 'ssh_brute_force', severity: 'critical', description: 'd', actions: ['block_ip'], ts: 0, status: 'firing', count: 1,
      metadata: { monitorType: 'auth_failures', threshold: 5, currentValue: 9, details: '', ...meta },
    });
    const action = blockIpAction(s.manager, { durationMs: 600_000 });
    const signal = new AbortController().signal;
    const r = await action.run({ incident: incident({ ips: ['192.0.2.90', '10.0.0.5'] }), dryRun: false, signal });
    assert.equal(r.outcome, 'ok');
    assert.equal(r.summary, 'blocked 1 IP: 192.0.2.90 for 10m; skipped 10.0.0.5 (RFC 1918 private address)');
    const fromText = await action.run({ incident: incident({ details: 'failures: 192.0.2.91 x9, 2001:db8:7::5 x6' }), dryRun: false, signal });
    assert.equal(fromText.summary, 'blocked 2 IPs: 192.0.2.91 for 10m, 2001:db8:7::/64 for 10m');
    const dry = await action.run({ incident: incident({ ips: ['192.0.2.92'] }), dryRun: true, signal });
    assert.equal(dry.outcome, 'dry_run');
    assert.equal(dry.summary, 'would block 1 IP: 192.0.2.92 for 10m');
    assert.ok(!s.scripts.calls().some((c) => c.includes('192.0.2.92')), 'dry run changes nothing');
    assert.equal((await action.run({ incident: incident({}), dryRun: false, signal })).outcome, 'skipped');
  } finally {
    await s.close();
    s.scripts.remove();
  }
});

const skipNs = netnsUnavailable();
test('reconcile against nftables in a netns: missing bans added, unknown elements removed, nothing flushed', { skip: skipNs ?? false }, async () => {
  const ns = createNetns();
  const path = join(dir, 'nft.db');
  try {
    const logger = memoryLogger();
    const mk = () => createNftBackend({ run: ns.nft, logger });
    const a = await setup({ backend: mk(), path });
    await a.manager.start();
    await a.manager.block(['192.0.2.100', '2001:db8:9:9::1'], { reason: 'r' });
    await a.close();
    // Meanwhile: the sets lose one ban (a reboot, a manual delete) and gain an element nobody recorded.
    ns.exec('nft', ['delete', 'element', 'inet', 'panicmode', 'banned_v4', '{ 192.0.2.100 }']);
    ns.exec('nft', ['add', 'element', 'inet', 'panicmode', 'banned_v4', '{ 192.0.2.200 timeout 1h }']);
    ns.exec('nft', ['add', 'table', 'ip', 'other']);
    const b = await setup({ backend: mk(), path });
    try {
      const report = await b.manager.start();
      assert.deepEqual(report.added, ['192.0.2.100']);
      assert.deepEqual(report.removed, ['192.0.2.200']);
      const v4 = ns.exec('nft', ['list', 'set', 'inet', 'panicmode', 'banned_v4']);
      assert.match(v4, /192\.0\.2\.100 timeout/);
      assert.doesNotMatch(v4, /192\.0\.2\.200/);
      assert.match(ns.exec('nft', ['list', 'set', 'inet', 'panicmode', 'banned_v6']), /2001:db8:9:9::\/64/);
      assert.match(ns.exec('nft', ['list', 'tables']), /table ip other/);
      await b.manager.unblock('2001:db8:9:9::1');
      assert.doesNotMatch(ns.exec('nft', ['list', 'set', 'inet', 'panicmode', 'banned_v6']), /2001:db8:9:9/);
    } finally {
      await b.close();
    }
  } finally {
    ns.remove();
  }
});
