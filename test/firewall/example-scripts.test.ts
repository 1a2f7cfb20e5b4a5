import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { netnsUnavailable, createNetns, type TestNetns } from './netns.js';

const block = fileURLToPath(new URL('../../examples/scripts/block_ip.sh', import.meta.url));
const unblock = fileURLToPath(new URL('../../examples/scripts/unblock_ip.sh', import.meta.url));
const skip = netnsUnavailable();
let ns: TestNetns | undefined;
before(() => {
  if (!skip) ns = createNetns();
});
after(() => ns?.remove());

const iptablesEnv = { ...process.env, PANICMODE_USE_IPTABLES: '1' };

test('example scripts with iptables: twice = one rule, v4 and v6; unblock twice is fine', { skip: skip ?? false }, () => {
  for (let i = 0; i < 2; i++) {
    ns!.exec(block, ['203.0.113.7'], iptablesEnv);
    ns!.exec(block, ['2001:db8::7'], iptablesEnv);
  }
  assert.equal(ns!.exec('iptables', ['-S', 'INPUT']).match(/-A INPUT -s 203\.0\.113\.7\/32 -j DROP/g)?.length, 1);
  assert.equal(ns!.exec('ip6tables', ['-S', 'INPUT']).match(/-A INPUT -s 2001:db8::7\/128 -j DROP/g)?.length, 1);
  for (let i = 0; i < 2; i++) ns!.exec(unblock, ['203.0.113.7'], iptablesEnv);
  assert.doesNotMatch(ns!.exec('iptables', ['-S', 'INPUT']), /203\.0\.113\.7/);
  assert.match(ns!.exec('ip6tables', ['-S', 'INPUT']), /2001:db8::7/);
});

test('example scripts with nftables: twice = one element and one rule pair', { skip: skip ?? false }, () => {
  for (let i = 0; i < 2; i++) {
    ns!.exec(block, ['198.51.100.9']);
    ns!.exec(block, ['2001:db8:5::/64']);
  }
  const table = ns!.exec('nft', ['list', 'table', 'inet', 'panicmode_script']);
  assert.equal(table.match(/ip saddr @v4 drop/g)?.length, 1);
  assert.equal(table.match(/ip6 saddr @v6 drop/g)?.length, 1);
  assert.equal(table.match(/198\.51\.100\.9/g)?.length, 1);
  assert.match(table, /2001:db8:5::\/64/);
  for (let i = 0; i < 2; i++) ns!.exec(unblock, ['198.51.100.9']);
  assert.doesNotMatch(ns!.exec('nft', ['list', 'table', 'inet', 'panicmode_script']), /198\.51\.100\.9/);
});

test('example scripts refuse an argument that is not an address', { skip: skip ?? false }, () => {
  assert.throws(() => ns!.exec(block, ['1.2.3.4;id']), /usage/);
  assert.throws(() => ns!.exec(block, ['--help']), /usage/);
});
