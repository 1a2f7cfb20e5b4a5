import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAddress, parseCidr, parseTarget, cidrContains, prefixOf } from '../../src/firewall/address.js';
import { createNeverBlock } from '../../src/firewall/never-block.js';
import { parseAuthLine } from '../../src/auth/parse-auth-line.js';
import { ConfigError } from '../../src/errors.js';

test('addresses parse to canonical text; IPv4-mapped becomes v4', () => {
  const cases: [string, string | null][] = [
    ['203.0.113.7', '203.0.113.7'],
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['::FFFF:cb00:7107', '203.0.113.7'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:0db8:0001:0000:0000:0000:0000:0000', '2001:db8:1::'],
    ['::', '::'],
    ['::1', '::1'],
    ['[2001:db8::5]', '2001:db8::5'],
    ['fe80::1%eth0', 'fe80::1'],
    ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
    ['1.2.3.4; rm -rf /', null],
    ['$(reboot)', null],
    ['-1.2.3.4', null],
    ['01.2.3.4', null],
    ['256.1.1.1', null],
    ['1.2.3', null],
    ['1:2:3:4:5:6:7:8:9', null],
    ['1::2::3', null],
    ['12345::1', null],
    ['', null],
  ];
  for (const [input, want] of cases) assert.equal(parseAddress(input)?.text ?? null, want, input);
});

test('CIDR blocks: host bits cleared, bad lengths refused, host prefixes become addresses as targets', () => {
  assert.equal(parseCidr('10.1.2.3/8')?.text, '10.0.0.0/8');
  assert.equal(parseCidr('2001:db8:1:2:3::1/64')?.text, '2001:db8:1:2::/64');
  assert.equal(parseCidr('::ffff:10.0.0.0/104')?.text, '10.0.0.0/8');
  assert.equal(parseCidr('1.2.3.4/33'), null);
  assert.equal(parseCidr('2001:db8::/129'), null);
  assert.equal(parseCidr('1.2.3.4/x'), null);
  assert.equal(parseCidr('1.2.3.4/24/1'), null);
  assert.equal(parseTarget('203.0.113.7/32')?.text, '203.0.113.7');
  assert.equal(parseTarget('2001:db8::7/128')?.text, '2001:db8::7');
  assert.equal(parseTarget('198.51.100.0/24')?.text, '198.51.100.0/24');
});

test('containment and v6 /64 prefixes', () => {
  const a = parseAddress('2001:db8:aa:bb:1:2:3:4')!;
  assert.equal(prefixOf(a, 64).text, '2001:db8:aa:bb::/64');
  assert.equal(prefixOf(a, 56).text, '2001:db8:aa::/56');
  assert.ok(cidrContains(parseCidr('2001:db8:aa::/48')!, a));
  assert.ok(!cidrContains(parseCidr('2001:db8:ab::/48')!, a));
  assert.ok(cidrContains(parseCidr('198.51.100.0/24')!, parseAddress('198.51.100.200')!));
  assert.ok(!cidrContains(parseCidr('198.51.100.0/24')!, parseAddress('198.51.101.1')!));
  assert.ok(!cidrContains(parseCidr('0.0.0.0/0')!, a), 'families never mix');
  assert.ok(cidrContains(parseCidr('10.0.0.0/8')!, parseCidr('10.1.0.0/16')!));
  assert.ok(!cidrContains(parseCidr('10.1.0.0/16')!, parseCidr('10.0.0.0/8')!));
});

test('never-block: every protected range says why; public addresses pass', () => {
  const nb = createNeverBlock({
    whitelist: ['198.51.100.0/24', '2001:db8:cafe::/48', '192.0.2.10'],
    ownAddresses: () => ['203.0.113.250', '2001:db8:1:2::10', 'fe80::1'],
  });
  const reason = (ip: string) => nb.reasonNotToBlock(parseTarget(ip)!);
  assert.match(reason('127.0.0.1')!, /loopback/);
  assert.match(reason('::1')!, /loopback/);
  assert.match(reason('10.0.0.5')!, /RFC 1918/);
  assert.match(reason('172.31.255.1')!, /RFC 1918/);
  assert.match(reason('192.168.1.1')!, /RFC 1918/);
  assert.match(reason('100.64.0.1')!, /CGNAT/);
  assert.match(reason('169.254.10.1')!, /link-local/);
  assert.match(reason('fe80::abcd')!, /link-local/);
  assert.match(reason('fd12:3456::1')!, /unique-local/);
  assert.match(reason('0.0.0.0')!, /unspecified/);
  assert.match(reason('::')!, /unspecified/);
  assert.match(reason('224.0.0.1')!, /multicast/);
  assert.match(reason('ff02::1')!, /multicast/);
  assert.match(reason('::ffff:10.0.0.5')!, /RFC 1918/);
  assert.match(reason('198.51.100.77')!, /whitelisted.*198\.51\.100\.0\/24/);
  assert.match(reason('192.0.2.10')!, /whitelisted/);
  assert.match(reason('2001:db8:cafe:1::99')!, /whitelisted.*2001:db8:cafe::\/48/);
  assert.match(reason('203.0.113.250')!, /own address/);
  // A prefix containing our own v6 address is refused even though the attacker's address is not ours.
  assert.match(reason('2001:db8:1:2::/64')!, /own address \(2001:db8:1:2::10\)/);
  assert.equal(reason('203.0.113.7'), null);
  assert.equal(reason('2001:db8:1:3::/64'), null);
  assert.equal(reason('192.0.2.11'), null);
  assert.equal(reason('172.32.0.1'), null, 'just outside 172.16/12');
  assert.equal(reason('100.128.0.1'), null, 'just outside 100.64/10');
});

test('never-block: a bad whitelist entry is a config error naming its place', () => {
  assert.throws(
    () => createNeverBlock({ whitelist: ['1.2.3.4', 'example.com'], ownAddresses: () => [] }),
    (e: unknown) => e instanceof ConfigError && /firewall\.whitelist\[1\]/.test(e.message),
  );
});

test('one address, one key: every textual form of an address counts as the same attacker', () => {
  const forms = ['2001:db8::7', '2001:DB8::7', '2001:db8:0:0:0:0:0:7', '2001:0db8:0000::0007', '2001:db8::0:7'];
  for (const f of forms) assert.equal(parseAddress(f)?.text, '2001:db8::7', f);
  // What the log parser counts by is the same canonical text the ban and the never-block list use.
  const line = (ip: string) => `Nov 22 00:10:01 web-1 sshd[4000]: Failed password for root from ${ip} port 50000 ssh2`;
  assert.deepEqual(forms.map((f) => parseAuthLine(line(f))?.ip), forms.map(() => '2001:db8::7'));
  assert.equal(parseAuthLine(line('::FFFF:203.0.113.7'))?.ip, '203.0.113.7');
});

test('never-block: a ban wider than /8 (v4) or /32 (v6) is refused as too broad, and prefixes are named by what they contain', () => {
  const nb = createNeverBlock({ whitelist: ['198.51.100.0/24'], ownAddresses: () => ['2001:db8:1:2::10'] });
  const reason = (ip: string) => nb.reasonNotToBlock(parseTarget(ip)!);
  assert.match(reason('0.0.0.0/0')!, /^too broad: \/0 is wider than \/8/);
  assert.match(reason('128.0.0.0/1')!, /^too broad/);
  assert.match(reason('::/0')!, /^too broad: \/0 is wider than \/32, the widest IPv6 ban allowed/);
  assert.match(reason('2001:db8::/31')!, /^too broad/);
  assert.equal(reason('2001:db9::/32'), null, '/32 is still allowed');
  assert.equal(reason('11.0.0.0/8'), null, '/8 is still allowed');
  assert.equal(reason('127.0.0.0/8'), 'loopback address');
  assert.equal(reason('172.0.0.0/8'), 'contains 172.16.0.0/12 (RFC 1918 private address)');
  assert.equal(reason('198.0.0.0/8'), 'contains whitelisted 198.51.100.0/24 (firewall.whitelist: 198.51.100.0/24)');
  assert.equal(reason('198.51.100.0/25'), 'whitelisted (firewall.whitelist: 198.51.100.0/24)');
  assert.equal(reason('2001:db8:1::/48'), "contains this machine's own address (2001:db8:1:2::10)");
});
