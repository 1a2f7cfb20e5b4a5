import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { createRateLimiter, limitBatch, rateLimitSetupBatch } from '../../src/firewall/rate-limiter.js';
import { formatRate, parseConnectionRate } from '../../src/firewall/connection-rate.js';
import { createNftBackend } from '../../src/firewall/nft-backend.js';
import { createNeverBlock } from '../../src/firewall/never-block.js';
import { memoryLogger } from '../../src/log/logger.js';
import { netnsUnavailable, createNetns, type TestNetns } from './netns.js';
import type { ConnectPlan } from './connect-burst.js';

const skip = netnsUnavailable();
let ns: TestNetns | undefined;
before(() => {
  if (skip) return;
  ns = createNetns();
  ns.exec('ip', ['link', 'set', 'lo', 'up']);
  // documentation addresses on the namespace's loopback: a server and three clients
  for (const a of ['203.0.113.1', '203.0.113.7', '198.51.100.9', '192.0.2.50']) ns.exec('ip', ['addr', 'add', `${a}/32`, 'dev', 'lo']);
  for (const a of ['2001:db8:0:1::1', '2001:db8:0:2::7']) ns.exec('ip', ['addr', 'add', `${a}/128`, 'dev', 'lo', 'nodad']);
});
after(() => ns?.remove());

const neverBlock = createNeverBlock({ whitelist: ['192.0.2.0/28'], ownAddresses: () => [] });
const burst = fileURLToPath(new URL('./connect-burst.ts', import.meta.url));
/** Real TCP connects inside the namespace. */
const connectFrom = (plan: ConnectPlan) =>
  JSON.parse(ns!.exec(process.execPath, ['--import', 'tsx', burst, JSON.stringify(plan)])) as Record<string, { ok: number; failed: number }>;

test('rates: fractions move to a longer unit (nft counts whole connections); bad rates name their place', () => {
  assert.deepEqual(parseConnectionRate('10/s'), { count: 10, per: 'second' });
  assert.deepEqual(parseConnectionRate('0.5/s'), { count: 30, per: 'minute' });
  assert.deepEqual(parseConnectionRate('90/m'), { count: 90, per: 'minute' });
  assert.deepEqual(parseConnectionRate('0.25/m'), { count: 15, per: 'hour' });
  assert.equal(formatRate({ count: 30, per: 'minute' }), '30/m');
  assert.throws(() => parseConnectionRate('0/s', 'actions.rate_limit.rate'), /actions\.rate_limit\.rate: expected a rate above 0/);
});

test('rate-limit batches: one pair of sets and one rule per family per rate, in its own chain; elements validated', () => {
  const setup = rateLimitSetupBatch('panicmode', [{ count: 10, per: 'second' }]);
  assert.match(setup, /add set inet panicmode rl_10_second_v4 \{ type ipv4_addr; flags interval, timeout; \}/);
  assert.match(setup, /add set inet panicmode rl_10_second_m6 \{ type ipv6_addr; flags dynamic, timeout; timeout 1m; \}/);
  assert.match(setup, /flush chain inet panicmode rate_limit\n/);
  assert.match(setup, /ip saddr @rl_10_second_v4 ct state new update @rl_10_second_m4 \{ ip saddr limit rate over 10\/second \} drop/);
  assert.doesNotMatch(setup, /flush (ruleset|table)|chain inet panicmode input/, 'never touches the ban chain or anything else');
  assert.match(rateLimitSetupBatch('t', [{ count: 5, per: 'hour' }]), /rl_5_hour_m4 .* timeout 2h;/, 'a meter outlives two units');
  assert.equal(
    limitBatch('panicmode', { count: 10, per: 'second' }, [{ target: '203.0.113.7', timeoutMs: 600_000 }, { target: '2001:db8::/64', timeoutMs: null }]),
    'add element inet panicmode rl_10_second_v4 { 203.0.113.7 timeout 10m }\nadd element inet panicmode rl_10_second_v6 { 2001:db8::/64 }\n',
  );
  assert.throws(() => limitBatch('t', { count: 1, per: 'second' }, [{ target: '1.2.3.4 } ; flush ruleset ; {', timeoutMs: 1 }]), /refusing/);
});

test('never-block and whitelist apply to limits as to bans; dry-run changes nothing', async () => {
  const calls: string[][] = [];
  const limiter = createRateLimiter({
    run: async (args) => (calls.push([...args]), { code: 0, stdout: '', stderr: '' }),
    rates: [{ count: 10, per: 'second' }],
    neverBlock,
    ipv6Prefix: 64,
    logger: memoryLogger(),
    dryRun: true,
  });
  await limiter.start();
  const r = await limiter.limit(['127.0.0.1', '192.0.2.5', '10.1.2.3', 'nonsense', '203.0.113.7', '2001:db8::1'], { rate: { count: 10, per: 'second' }, durationMs: 3_600_000, reason: 'flood' });
  assert.deepEqual(r.skipped.map((s) => s.ip), ['127.0.0.1', '192.0.2.5', '10.1.2.3']);
  assert.match(r.skipped[1]!.reason, /whitelisted/);
  assert.deepEqual(r.invalid, ['nonsense']);
  assert.deepEqual(r.limited.map((v) => v.ip), ['203.0.113.7', '2001:db8::/64'], 'v6 limited as its /64, like a ban');
  assert.deepEqual(calls, [], 'dry-run never runs nft');
  await assert.rejects(limiter.limit(['203.0.113.7'], { rate: { count: 3, per: 'second' }, durationMs: 1000, reason: 'x' }), /no nft sets for rate 3\/s/);
});

test('in a test netns: a limited source above the rate is dropped, one under it passes, others are untouched; bans still work beside it', { skip: skip ?? false }, async () => {
  const rate = parseConnectionRate('5/s');
  // The ban backend first, as the agent starts it: the two share the table and must not undo each other.
  const bans = createNftBackend({ run: ns!.nft, logger: memoryLogger() });
  await bans.start();
  const limiter = createRateLimiter({ run: ns!.nft, rates: [rate], neverBlock, ipv6Prefix: 64, logger: memoryLogger() });
  await limiter.start();
  await bans.start(); // a reload re-runs the ban setup: it must leave the rate_limit chain alone
  await limiter.start(); // idempotent

  const before = connectFrom({ server: '203.0.113.1', timeoutMs: 800, sources: [{ address: '203.0.113.7', count: 30, spacingMs: 0 }] });
  assert.deepEqual(before['203.0.113.7'], { ok: 30, failed: 0 }, 'before the limit every connection passes');

  const r = await limiter.limit(['203.0.113.7', '198.51.100.9'], { rate, durationMs: 600_000, reason: 'connection flood' });
  assert.deepEqual(r.limited.map((v) => v.ip), ['203.0.113.7', '198.51.100.9']);
  const again = await limiter.limit(['203.0.113.7'], { rate, durationMs: 600_000, reason: 'connection flood' });
  assert.deepEqual(again.already, [{ ip: '203.0.113.7', by: '203.0.113.7' }], 'limited once while in force');

  const after = connectFrom({
    server: '203.0.113.1',
    timeoutMs: 800,
    sources: [
      { address: '203.0.113.7', count: 30, spacingMs: 0 }, // a burst far above 5/s
      { address: '198.51.100.9', count: 4, spacingMs: 400 }, // 2.5/s: under the rate
      { address: '192.0.2.50', count: 30, spacingMs: 0 }, // not limited
    ],
  });
  const flood = after['203.0.113.7']!;
  assert.ok(flood.ok >= 1 && flood.ok <= 10, `the burst gets about the bucket's 5 through, got ${JSON.stringify(flood)}`);
  assert.ok(flood.failed >= 20, `the rest are dropped, got ${JSON.stringify(flood)}`);
  assert.deepEqual(after['198.51.100.9'], { ok: 4, failed: 0 }, 'a limited source under the rate passes');
  assert.deepEqual(after['192.0.2.50'], { ok: 30, failed: 0 }, 'a source not limited is untouched');

  // The limit is an element with a timeout: the kernel holds it and lifts it on time.
  const set = JSON.parse(ns!.exec('nft', ['-j', 'list', 'set', 'inet', 'panicmode', 'rl_5_second_v4'])).nftables.find((x: { set?: unknown }) => x.set).set;
  const el = set.elem.find((e: { elem?: { val: string } }) => e.elem?.val === '203.0.113.7');
  assert.equal(el.elem.timeout, 600);
  // A restarted agent learns the limits in force from the kernel.
  const restarted = createRateLimiter({ run: ns!.nft, rates: [rate], neverBlock, ipv6Prefix: 64, logger: memoryLogger() });
  await restarted.start();
  assert.deepEqual((await restarted.list()).map((v) => v.ip).sort(), ['198.51.100.9', '203.0.113.7']);
  assert.deepEqual((await restarted.limit(['203.0.113.7'], { rate, durationMs: 1000, reason: 'x' })).already.length, 1);

  // Bans and limits live side by side: a ban still drops everything from its source.
  assert.deepEqual(await bans.ban([{ target: '192.0.2.50', timeoutMs: 60_000, reason: 'x' }]), []);
  const banned = connectFrom({ server: '203.0.113.1', timeoutMs: 800, sources: [{ address: '192.0.2.50', count: 3, spacingMs: 0 }] });
  assert.deepEqual(banned['192.0.2.50'], { ok: 0, failed: 3 });
});

test('in a test netns: a v6 source is limited as its /64 (a meter per address in it), like a ban widens to /64', { skip: skip ?? false }, async () => {
  const rate = parseConnectionRate('5/s');
  const limiter = createRateLimiter({ run: ns!.nft, rates: [rate], neverBlock, ipv6Prefix: 64, logger: memoryLogger() });
  await limiter.start();
  const r = await limiter.limit(['2001:db8:0:2::7'], { rate, durationMs: 600_000, reason: 'flood' });
  assert.deepEqual(r.limited.map((v) => v.ip), ['2001:db8:0:2::/64']);
  const after = connectFrom({
    server: '2001:db8:0:1::1',
    timeoutMs: 800,
    sources: [
      { address: '2001:db8:0:2::7', count: 30, spacingMs: 0 },
      { address: '2001:db8:0:1::1', count: 30, spacingMs: 0 }, // another /64: not limited
    ],
  });
  const flood = after['2001:db8:0:2::7']!;
  assert.ok(flood.ok >= 1 && flood.ok <= 10 && flood.failed >= 20, `the v6 burst is held to the bucket, got ${JSON.stringify(flood)}`);
  assert.deepEqual(after['2001:db8:0:1::1'], { ok: 30, failed: 0 });
});

test('an address is limited once even when two incidents ask at the same time; a failed limit is not remembered', async () => {
  let fail = true;
  const batches: string[] = [];
  const limiter = createRateLimiter({
    run: async (args, stdin) => {
      if (args[0] === '-f') {
        batches.push(stdin!);
        if (fail) return { code: 1, stdout: '', stderr: 'Error: Could not process rule: No such file or directory\n' };
      }
      return { code: 0, stdout: '{"nftables":[]}', stderr: '' };
    },
    rates: [{ count: 10, per: 'second' }],
    neverBlock,
    ipv6Prefix: 64,
    logger: memoryLogger(),
  });
  const o = { rate: { count: 10, per: 'second' } as const, durationMs: 60_000, reason: 'x' };
  const failed = await limiter.limit(['203.0.113.7'], o);
  assert.deepEqual(failed.failed, [{ ip: '203.0.113.7', error: 'Error: Could not process rule: No such file or directory' }]);
  assert.deepEqual(await limiter.list(), [], 'a limit that failed is not in force');
  fail = false;
  batches.length = 0;
  const [a, b] = await Promise.all([limiter.limit(['203.0.113.7'], o), limiter.limit(['203.0.113.7'], o)]);
  assert.deepEqual([a.limited.length, b.limited.length, b.already.length], [1, 0, 1]);
  assert.equal(batches.length, 1, 'one element added');
});
