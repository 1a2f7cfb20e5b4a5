/**
 * Layer 2: each collector pointed at fixture trees copied from a real /proc
 * (test/fixtures/proc/host-t0, host-t1: one second apart, see capture.mjs), at broken
 * files, and at a temp tree where files are missing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHost, type Host } from '../../src/host/host.js';
import { createCpuCollector } from '../../src/collectors/cpu.js';
import { createMemoryCollector } from '../../src/collectors/memory.js';
import { createLoadCollector } from '../../src/collectors/load.js';
import { createDiskUsageCollector, readMountTable } from '../../src/collectors/disk-usage.js';
import { createDiskIoCollector } from '../../src/collectors/disk-io.js';
import { createNetworkCollector } from '../../src/collectors/network.js';
import { createProcessesCollector, CLK_TCK } from '../../src/collectors/processes.js';
import { isNoDataError, type PeriodicCollector } from '../../src/collectors/collector.js';
import { CollectorError } from '../../src/errors.js';
import type { MetricKey } from '../../src/model/metrics.js';
import { fixtureRoot } from './fixture-host.js';

const t0 = createHost(fixtureRoot('host-t0'));
const t1 = createHost(fixtureRoot('host-t1'));
const pids = JSON.parse(readFileSync(join(fixtureRoot(''), 'host-pids.json'), 'utf8')) as Record<string, number>;
const file = (host: Host, ...p: string[]) => readFileSync(host.procPath(...p), 'utf8');

/** read t0, read t1, derive over `ms`, complete. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const run = async <K extends MetricKey, R>(c: PeriodicCollector<K, R, any>, ms = 1000) => {
  const a = await c.read(t0);
  const b = await c.read(t1);
  const first = c.derive(undefined, a, 0);
  const s = c.derive(a, b, ms);
  return { first, s: s && c.complete ? await c.complete(t1, s) : s };
};

test('cpu on the real snapshots: baseline first, then shares that add up', async () => {
  const { first, s } = await run(createCpuCollector());
  assert.equal(first, null);
  assert.ok(s);
  const cores = file(t1, 'stat').split('\n').filter((l) => /^cpu\d/.test(l)).length;
  assert.equal(s.perCore.length, cores);
  for (const v of [s.usagePercent, s.iowaitPercent, s.stealPercent, ...s.perCore]) assert.ok(v >= 0 && v <= 100, `${v}`);
  // a CPU burner ran through the capture: the host was busy
  assert.ok(s.usagePercent > 10, `usage ${s.usagePercent}`);
});

test('memory and load on the real snapshots agree with the files', async () => {
  const { s: m } = await run(createMemoryCollector());
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(file(t1, 'meminfo'))![1]) * 1024;
  assert.equal(m!.totalBytes, kb('MemTotal'));
  assert.equal(m!.usedBytes, kb('MemTotal') - kb('MemAvailable'));
  const { s: l } = await run(createLoadCollector());
  const [l1, , , tasks] = file(t1, 'loadavg').split(' ');
  assert.equal(l!.load1, Number(l1));
  assert.equal(l!.totalTasks, Number(tasks.split('/')[1]));
});

test('disk usage: the real mount table, pseudo filesystems out, statfs of what is left', async () => {
  const { s } = await run(createDiskUsageCollector());
  assert.ok(s!.mounts.length > 0);
  const types = new Set(s!.mounts.map((m) => m.fsType));
  for (const pseudo of ['proc', 'sysfs', 'cgroup', 'cgroup2', 'devpts', 'devtmpfs']) assert.ok(!types.has(pseudo), pseudo);
  const root = s!.mounts.find((m) => m.mountPoint === '/');
  assert.ok(root, 'the root filesystem is watched');
  assert.ok(root.usagePercent > 0 && root.usagePercent <= 100);
  assert.equal(new Set(s!.mounts.map((m) => m.mountPoint)).size, s!.mounts.length);
});

test('disk usage: falls back to <root>/mounts when self/mounts is missing', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pm-mounts-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'mounts'), '/dev/vda / ext4 rw 0 0\nproc /proc proc rw 0 0\n');
  const table = await readMountTable(createHost(dir));
  assert.deepEqual(table.map((m) => m.mountPoint), ['/', '/proc']);
});

test('disk io: whole disks from the real diskstats, loop devices out, rates not negative', async () => {
  const { first, s } = await run(createDiskIoCollector());
  assert.equal(first, null);
  const names = s!.devices.map((d) => d.device);
  assert.ok(names.length > 0);
  assert.ok(names.every((n) => !n.startsWith('loop')), names.join());
  assert.ok(file(t1, 'diskstats').includes(' loop0 '), 'the fixture does have loop devices to skip');
  for (const d of s!.devices) for (const v of Object.values(d)) if (typeof v === 'number') assert.ok(v >= 0);
  assert.equal(s!.maxUtilizationPercent, Math.max(...s!.devices.map((d) => d.utilizationPercent)));
});

test('network on the real snapshots: loopback peers in totals only, mapped v6 read as v4, new connections', async () => {
  // no table handed in: the read reads the tables itself (the sockets part's cadence: network.test.ts)
  const { first, s } = await run(createNetworkCollector());
  assert.equal(first!.newConnectionsPerSec, 0);
  // tcp6 holds ::1 and ::ffff:127.0.0.1 peers: counted, never listed per IP
  assert.ok(file(t1, 'net', 'tcp6').includes('FFFF00000100007F'));
  assert.deepEqual(s!.establishedPerRemoteIp, {});
  const established = (host: Host) =>
    ['tcp', 'tcp6'].reduce((n, f) => n + file(host, 'net', f).split('\n').filter((l) => / 01 \S+:\S+ /.test(l)).length, 0);
  assert.equal(s!.connectionsByState.ESTABLISHED, established(t1));
  assert.ok(s!.connectionsByState.LISTEN >= 2);
  // two connections were dialled between the snapshots (each is two sockets: client and server side)
  assert.ok(s!.newConnectionsPerSec >= 4, `${s!.newConnectionsPerSec}`);
  // every socket but LISTEN: the sockstat counters agree with the table they were made from
  const rows = (host: Host) => ['tcp', 'tcp6'].flatMap((f) => file(host, 'net', f).split('\n').slice(1).filter((l) => l.trim() !== ''));
  assert.equal(s!.totalConnections, rows(t1).filter((l) => l.trim().split(/\s+/)[3] !== '0A').length);
  assert.ok(s!.rxBytesPerSec >= 0 && s!.txBytesPerSec >= 0);
});

test('processes on the real snapshots: the burner tops CPU; odd names; uid from status', async () => {
  const { first, s } = await run(createProcessesCollector({ top: 3 }));
  assert.equal(first!.topByCpu.length, 0, 'no CPU ranking without a previous tick');
  assert.equal(s!.count, 4);
  const burner = s!.topByCpu[0];
  assert.equal(burner.pid, pids.burner);
  const ticks = (host: Host) => {
    const f = file(host, String(pids.burner), 'stat').split(') ')[1].split(' ');
    return Number(f[11]) + Number(f[12]);
  };
  assert.equal(burner.cpuPercent, ((ticks(t1) - ticks(t0)) / CLK_TCK / 1) * 100);
  const all = [...s!.topByCpu, ...s!.topByMemory];
  const odd = all.find((p) => p.pid === pids.oddName) ?? (await run(createProcessesCollector({ top: 10 }))).s!.topByMemory.find((p) => p.pid === pids.oddName);
  assert.equal(odd?.name, 'a b) c');
  const uid = Number(/^Uid:\s+(\d+)/m.exec(file(t1, '1', 'status'))![1]);
  const init = (await run(createProcessesCollector({ top: 10 }))).s!.topByMemory.find((p) => p.pid === 1);
  assert.equal(init?.uid, uid);
});

test('processes: a pid that vanished between listing and reading is skipped silently', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pm-vanish-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(join(fixtureRoot('host-t1'), '1'), join(dir, '1'), { recursive: true });
  mkdirSync(join(dir, '999999')); // a pid directory whose files are gone
  const c = createProcessesCollector();
  const raw = await c.read(createHost(dir));
  assert.deepEqual([...raw.processes.keys()], [1]);
  // and one that exits before its status is read drops out of the top lists
  const s = c.derive(raw, raw, 1000)!;
  rmSync(join(dir, '1', 'status'));
  const done = await c.complete!(createHost(dir), s);
  assert.deepEqual(done.topByMemory, []);
});

test('broken files: each collector fails with a CollectorError naming the file', async () => {
  const broken = createHost(fixtureRoot('broken'));
  const cases: [PeriodicCollector<MetricKey, unknown>, RegExp][] = [
    [createCpuCollector() as never, /^cpu: stat line 1/],
    [createMemoryCollector() as never, /^memory: meminfo/],
    [createLoadCollector() as never, /^load: loadavg/],
  ];
  for (const [c, message] of cases) {
    await assert.rejects(c.read(broken), (e: unknown) => e instanceof CollectorError && message.test(e.message));
  }
});

test('missing files: the read rejects with a "no data here" error (ENOENT)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pm-empty-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const empty = createHost(dir);
  for (const c of [createCpuCollector(), createDiskIoCollector(), createNetworkCollector(), createDiskUsageCollector()]) {
    await assert.rejects((c as PeriodicCollector<MetricKey, unknown, unknown>).read(empty), (e: unknown) => isNoDataError(e));
  }
  // a tree without tcp6 (IPv6 off) is not a failure
  mkdirSync(join(dir, 'net'));
  writeFileSync(join(dir, 'net', 'tcp'), file(t1, 'net', 'tcp'));
  writeFileSync(join(dir, 'net', 'dev'), file(t1, 'net', 'dev'));
  const reading = await createNetworkCollector().read(empty);
  assert.ok(reading.table.totalConnections > 0);
  assert.equal(reading.counters, null);
});
