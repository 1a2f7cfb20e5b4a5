/**
 * The network collector's two paces over the fixture trees (host-t0, host-t1 with
 * net/snmp and net/sockstat): rates from the snmp counters on every read, the socket
 * tables from its `sockets` part (its own cadence in the metrics stream) handed to each
 * read, and the fallback to the tables on every read when the proc root has no net/snmp.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNetworkCollector, DEFAULT_SOCKETS_INTERVAL_MS, readTcpTable } from '../../src/collectors/network.js';
import { createCollectors } from '../../src/collectors/registry.js';
import { fixtureRoot, switchingHost } from './fixture-host.js';

const t0 = fixtureRoot('host-t0');
const t1 = fixtureRoot('host-t1');
const text = (root: string, f: string) => readFileSync(join(root, 'net', f), 'utf8');

/** Tcp ActiveOpens + PassiveOpens, read here independently of the collector's parser. */
const opens = (root: string) => {
  const tcp = text(root, 'snmp').split('\n').filter((l) => l.startsWith('Tcp:'));
  const names = tcp[0].split(/\s+/);
  const values = tcp[1].split(/\s+/).map(Number);
  return values[names.indexOf('ActiveOpens')] + values[names.indexOf('PassiveOpens')];
};
/** table rows (tcp + tcp6) as [local, remote, state] */
const rows = (root: string) =>
  ['tcp', 'tcp6'].flatMap((f) => text(root, f).split('\n').slice(1).filter((l) => l.trim() !== '').map((l) => l.trim().split(/\s+/).slice(1, 4)));
const stateCount = (root: string, st: string) => rows(root).filter((r) => r[2] === st).length;

/** a copy of a fixture tree in a temp dir, removed after the test, minus some net files */
const copyTree = (t: TestContext, from: string, without: string[]) => {
  const dir = mkdtempSync(join(tmpdir(), 'pm-net-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(join(from, 'net'), join(dir, 'net'), { recursive: true });
  for (const f of without) rmSync(join(dir, 'net', f));
  return dir;
};

test('new connections/s come from the Tcp ActiveOpens + PassiveOpens delta of net/snmp', async () => {
  const host = switchingHost(t0);
  const c = createNetworkCollector();
  host.setClock(0);
  const a = await c.read(host);
  host.use(t1);
  host.setClock(2000);
  const b = await c.read(host);
  const s = c.derive(a, b, 2000)!;
  assert.ok(opens(t1) > opens(t0));
  assert.equal(s.newConnectionsPerSec, (opens(t1) - opens(t0)) / 2);
  // more than the 4-tuples new in the table: short-lived connections count too
  const tuples = (root: string) => new Set(rows(root).filter((r) => r[2] !== '0A').map((r) => `${r[0]}>${r[1]}`));
  const before = tuples(t0);
  const diff = [...tuples(t1)].filter((x) => !before.has(x)).length;
  assert.ok(s.newConnectionsPerSec > diff / 2, `${s.newConnectionsPerSec} vs table diff ${diff / 2}/s`);
  assert.equal(c.derive(undefined, a, 0)!.newConnectionsPerSec, 0);
});

test('a read handed the sockets part\'s table uses it and reads only the counters', async (t) => {
  // t1's counters without its tables: a read that tried to read a table would fail
  const countersOnly = copyTree(t, t1, ['tcp', 'tcp6']);
  const host = switchingHost(t0);
  const c = createNetworkCollector();
  host.setClock(1000);
  const table = readTcpTable(host);
  const a = await c.read(host, table);
  assert.equal(a.table, table);
  assert.equal(a.table.connectionsByState.ESTABLISHED, stateCount(t0, '01'));

  host.use(countersOnly);
  host.setClock(1000 + 9_999);
  const b = await c.read(host, table);
  assert.equal(b.table, table, 'the same table object, not re-read');
  const s = c.derive(a, b, 9_999)!;
  assert.equal(s.connectionsByState.ESTABLISHED, stateCount(t0, '01'));
  // counters are fresh: total from t1's sockstat, minus t0's (last known) listeners
  assert.equal(s.totalConnections, rows(t1).filter((r) => r[2] !== '0A').length);
  assert.equal(s.newConnectionsPerSec, (opens(t1) - opens(t0)) / 9.999);

  // no table handed in (the part has not answered): the read reads one itself (and here it is gone)
  await assert.rejects(Promise.resolve(c.read(host)), (e: unknown) => (e as NodeJS.ErrnoException).code === 'ENOENT');
});

test('the sockets part reads every 15 s by default; collectors.sockets.interval and network.interval reach the collector', async () => {
  assert.equal(DEFAULT_SOCKETS_INTERVAL_MS, 15_000);
  const byDefault = createNetworkCollector();
  assert.equal(byDefault.part?.intervalMs, 15_000);
  assert.equal(byDefault.intervalMs, undefined, 'the counters: every check_interval');
  const configured = createCollectors({ sockets: { interval: 5000 }, network: { interval: 2000 } }).find((x) => x.name === 'network')!;
  assert.equal(configured.part?.intervalMs, 5000);
  assert.equal(configured.intervalMs, 2000);
  const host = switchingHost(t1);
  assert.equal((await configured.part!.read(host) as ReturnType<typeof readTcpTable>).connectionsByState.ESTABLISHED, stateCount(t1, '01'));
});

test('without net/snmp (old kernel, fixture tree): tables on every tick, new connections from the table diff', async (t) => {
  const old0 = copyTree(t, t0, ['snmp', 'sockstat', 'sockstat6']);
  const old1 = copyTree(t, t1, ['snmp', 'sockstat', 'sockstat6']);
  const host = switchingHost(old0);
  const c = createNetworkCollector();
  host.setClock(0);
  const a = await c.read(host);
  assert.equal(a.counters, null);
  host.use(old1);
  host.setClock(1000);
  const b = await c.read(host, a.table);
  assert.notEqual(b.table, a.table, 'read again although the sockets part handed one in');
  const s = c.derive(a, b, 1000)!;
  assert.equal(s.connectionsByState.ESTABLISHED, stateCount(t1, '01'));
  assert.equal(s.totalConnections, rows(t1).filter((r) => r[2] !== '0A').length);
  const tuples = (root: string) => new Set(rows(root).filter((r) => r[2] !== '0A').map((r) => `${r[0]}>${r[1]}`));
  const before = tuples(t0);
  assert.equal(s.newConnectionsPerSec, [...tuples(t1)].filter((x) => !before.has(x)).length);

  // snmp present but sockstat missing: the same fallback, not a failure
  const noSockstat = copyTree(t, t1, ['sockstat']);
  host.use(noSockstat);
  host.setClock(2000);
  const d = await c.read(host, a.table);
  assert.equal(d.counters, null);
  assert.notEqual(d.table, a.table);
});

test('a socket table the counters say is empty is not walked (tcp6 with nothing on IPv6); one with TIME_WAIT sockets is', async (t) => {
  // t1's tables, with tcp6 (or tcp) made unreadable: a read of it would throw EISDIR
  const tree = (sockstat: string, sockstat6: string, unreadable: 'tcp' | 'tcp6') => {
    const dir = copyTree(t, t1, [unreadable]);
    mkdirSync(join(dir, 'net', unreadable));
    writeFileSync(join(dir, 'net', 'sockstat'), sockstat);
    writeFileSync(join(dir, 'net', 'sockstat6'), sockstat6);
    return switchingHost(dir);
  };
  const v4Only = rows(t1).filter((r) => r[0]!.length === 13);
  const noV6 = readTcpTable(tree('TCP: inuse 20 orphan 1 tw 0 alloc 26 mem 3\n', 'TCP6: inuse 0\n', 'tcp6'));
  assert.equal(noV6.totalConnections, v4Only.filter((r) => r[2] !== '0A').length);
  // a TIME_WAIT socket may be either family's (sockstat counts both in tw): both are read
  assert.throws(() => readTcpTable(tree('TCP: inuse 20 orphan 1 tw 1 alloc 26 mem 3\n', 'TCP6: inuse 0\n', 'tcp6')), (e: NodeJS.ErrnoException) => e.code === 'EISDIR');
  // a v6 socket in use: read
  assert.throws(() => readTcpTable(tree('TCP: inuse 20 orphan 1 tw 0 alloc 26 mem 3\n', 'TCP6: inuse 1\n', 'tcp6')), (e: NodeJS.ErrnoException) => e.code === 'EISDIR');
  // nothing on IPv4 either: no table is walked, and the sample says no connections
  const none = readTcpTable(tree('TCP: inuse 0 orphan 0 tw 0 alloc 0 mem 0\n', 'TCP6: inuse 0\n', 'tcp'));
  assert.deepEqual([none.totalConnections, none.connectionsByState], [0, {}]);
  // counters unreadable (a sockstat without its TCP line): both read, as before
  assert.throws(() => readTcpTable(tree('UDP: inuse 0 mem 0\n', 'TCP6: inuse 0\n', 'tcp6')), (e: NodeJS.ErrnoException) => e.code === 'EISDIR');
});
