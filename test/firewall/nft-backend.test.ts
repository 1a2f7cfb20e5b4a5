import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createNftBackend, parseSetListing, banBatch } from '../../src/firewall/nft-backend.js';
import { memoryLogger } from '../../src/log/logger.js';
import { netnsUnavailable, createNetns, type TestNetns } from './netns.js';

const skip = netnsUnavailable();
let ns: TestNetns | undefined;
before(() => {
  if (!skip) ns = createNetns();
});
after(() => ns?.remove());

/** The set's elements as the kernel reports them (nft -j). */
const kernelSet = (set: string) =>
  JSON.parse(ns!.exec('nft', ['-j', 'list', 'set', 'inet', 'panicmode', set])).nftables.find((x: { set?: unknown }) => x.set).set as {
    flags: string[];
    elem?: unknown[];
  };

test('ban batches are built from validated targets only, one line per set', () => {
  const text = banBatch('panicmode', [
    { target: '203.0.113.7', timeoutMs: 3_600_000, reason: 'x' },
    { target: '198.51.100.0/24', timeoutMs: 90_500, reason: 'x' },
    { target: '2001:db8::/64', timeoutMs: null, reason: 'x' },
  ]);
  assert.equal(
    text,
    'add element inet panicmode banned_v4 { 203.0.113.7 timeout 1h, 198.51.100.0/24 timeout 1m30s500ms }\n' +
      'add element inet panicmode banned_v6 { 2001:db8::/64 }\n',
  );
  assert.throws(() => banBatch('panicmode', [{ target: '1.2.3.4 } ; flush ruleset ; {', timeoutMs: 1, reason: 'x' }]), /refusing/);
});

test('nft listing JSON parses addresses, prefixes and expiries', () => {
  const held = parseSetListing(
    JSON.stringify({
      nftables: [
        { metainfo: {} },
        { set: { elem: ['192.0.2.1', { elem: { val: { prefix: { addr: '198.51.100.0', len: 24 } }, timeout: 60, expires: 42 } }] } },
      ],
    }),
  );
  assert.deepEqual(held, [
    { target: '192.0.2.1', expiresInMs: null },
    { target: '198.51.100.0/24', expiresInMs: 42_000 },
  ]);
});

test('nftables backend against the kernel in a test netns: setup, ban with timeout, list, unban', { skip: skip ?? false }, async () => {
  // Something else in the namespace's ruleset that PanicMode must never touch.
  ns!.exec('nft', ['add', 'table', 'inet', 'operator']);
  ns!.exec('nft', ['add', 'chain', 'inet', 'operator', 'keep']);
  const calls: string[][] = [];
  const run = ns!.nft;
  const backend = createNftBackend({ run: (args, stdin) => (calls.push([...args]), run(args, stdin)), logger: memoryLogger() });
  await backend.start();
  await backend.start(); // idempotent: a second start changes nothing
  const chain = ns!.exec('nft', ['list', 'chain', 'inet', 'panicmode', 'input']);
  assert.equal(chain.match(/saddr @banned_v4 drop/g)?.length, 1, 'one v4 rule after two starts');
  assert.equal(chain.match(/saddr @banned_v6 drop/g)?.length, 1, 'one v6 rule after two starts');
  assert.match(chain, /hook input priority filter - 10; policy accept;/);
  assert.deepEqual(kernelSet('banned_v4').flags.sort(), ['interval', 'timeout']);
  await backend.check();

  calls.length = 0;
  const failures = await backend.ban([
    { target: '203.0.113.7', timeoutMs: 3_600_000, reason: 'ssh' },
    { target: '198.51.100.0/24', timeoutMs: 600_000, reason: 'ssh' },
    { target: '2001:db8:1:2::/64', timeoutMs: 3_600_000, reason: 'ssh' },
    { target: '192.0.2.9', timeoutMs: null, reason: 'manual' },
  ]);
  assert.deepEqual(failures, []);
  assert.equal(calls.length, 1, 'one nft process for the whole burst');
  assert.deepEqual(calls[0], ['-f', '-']);

  const v4 = kernelSet('banned_v4').elem!;
  const e7 = v4.find((e) => (e as { elem?: { val: unknown } }).elem?.val === '203.0.113.7') as { elem: { timeout: number; expires: number } };
  assert.ok(e7, 'the address is in the kernel set');
  assert.equal(e7.elem.timeout, 3600);
  assert.ok(e7.elem.expires > 3500 && e7.elem.expires <= 3600);
  assert.ok(v4.includes('192.0.2.9'), 'a permanent element has no timeout');
  const v6 = JSON.stringify(kernelSet('banned_v6').elem);
  assert.match(v6, /"addr":"2001:db8:1:2::","len":64/);

  const held = (await backend.list())!;
  assert.deepEqual(held.map((h) => h.target).sort(), ['192.0.2.9', '198.51.100.0/24', '2001:db8:1:2::/64', '203.0.113.7']);
  assert.equal(held.find((h) => h.target === '192.0.2.9')!.expiresInMs, null);

  // An overlapping element is refused by the kernel; only that one fails, the rest of the burst goes in.
  const partial = await backend.ban([
    { target: '2001:db8:1::/48', timeoutMs: 60_000, reason: 'x' },
    { target: '203.0.113.8', timeoutMs: 60_000, reason: 'x' },
  ]);
  assert.deepEqual(partial.map((p) => p.target), ['2001:db8:1::/48']);
  assert.ok((await backend.list())!.some((h) => h.target === '203.0.113.8'));

  // Unban, including one already gone: no failure.
  assert.deepEqual(await backend.unban(['203.0.113.7', '2001:db8:1:2::/64', '203.0.113.99']), []);
  const after = (await backend.list())!.map((h) => h.target).sort();
  assert.deepEqual(after, ['192.0.2.9', '198.51.100.0/24', '203.0.113.8']);

  // A short element timeout is lifted by the kernel itself.
  await backend.ban([{ target: '192.0.2.77', timeoutMs: 300, reason: 'x' }]);
  assert.ok((await backend.list())!.some((h) => h.target === '192.0.2.77'));
  await new Promise((r) => setTimeout(r, 700));
  assert.ok(!(await backend.list())!.some((h) => h.target === '192.0.2.77'), 'expired in the kernel');

  await backend.flush();
  assert.deepEqual(await backend.list(), []);
  assert.match(ns!.exec('nft', ['list', 'tables']), /table inet operator/, 'other tables untouched');
  assert.match(ns!.exec('nft', ['list', 'table', 'inet', 'operator']), /chain keep/);
});

test('nft table name is validated', () => {
  assert.throws(() => createNftBackend({ run: async () => ({ code: 0, stdout: '', stderr: '' }), table: 'x; flush ruleset', logger: memoryLogger() }), /firewall\.nft_table/);
});
