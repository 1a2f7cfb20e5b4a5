/**
 * Layer 1: the pure parsers and derivations, on string literals written in the
 * kernel's exact formats.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseProcStat, deriveCpu, cpuShares } from '../../src/collectors/cpu.js';
import { parseMeminfo, parseMemory } from '../../src/collectors/memory.js';
import { parseLoadavg } from '../../src/collectors/load.js';
import { decodeMountPath, parseMounts, selectMounts, mountUsage } from '../../src/collectors/disk-usage.js';
import { parseDiskstats, selectDisks, deriveDiskIo } from '../../src/collectors/disk-io.js';
import {
  decodeIpv4Hex, decodeIpv6Hex, parseProcNetTcp, parseNetDev, summariseNetwork, deriveNetwork, isLoopback,
  parseNetSnmp, parseSockstat, tcpCountersOf,
} from '../../src/collectors/network.js';
import { parsePidStat, parseStatusUid, deriveProcesses, type ProcStat } from '../../src/collectors/processes.js';
import { deriveSelf } from '../../src/collectors/self.js';
import { parseCustomOutput } from '../../src/collectors/custom.js';
import { CollectorError } from '../../src/errors.js';

const stat = (busy: number, idle: number, iowait = 0, steal = 0) =>
  `cpu  ${busy} 0 0 ${idle} ${iowait} 0 0 ${steal} 0 0\ncpu0 ${busy} 0 0 ${idle} ${iowait} 0 0 ${steal} 0 0\nintr 1 2\nctxt 3\n`;

test('cpu: parses the aggregate and per-core lines, with holes for offline cores', () => {
  const s = parseProcStat('cpu  10 1 2 100 3 0 4 5 0 0\ncpu0 5 0 1 50 1 0 2 2 0 0\ncpu2 5 1 1 50 2 0 2 3 0 0\nintr 5\n');
  assert.deepEqual(s.total, { user: 10, nice: 1, system: 2, idle: 100, iowait: 3, irq: 0, softirq: 4, steal: 5 });
  assert.equal(s.perCore.length, 3);
  assert.equal(s.perCore[1], undefined);
  assert.equal(s.perCore[2]?.iowait, 2);
});

test('cpu: a truncated or non-numeric stat names the line', () => {
  assert.throws(() => parseProcStat('cpu  32629 0 70\n'), (e: unknown) => e instanceof CollectorError && /stat line 1/.test(e.message));
  assert.throws(() => parseProcStat('cpu  1 2 3 x 5 6 7 8\n'), /idle is not a counter/);
  assert.throws(() => parseProcStat('intr 0\n'), /no aggregate "cpu " line/);
});

test('cpu: the first reading is a baseline (null); then busy, iowait and steal from deltas', () => {
  const a = parseProcStat(stat(1000, 1000));
  assert.equal(deriveCpu(undefined, a), null);
  const b = parseProcStat(stat(1000 + 60, 1000 + 20, 10, 10));
  const s = deriveCpu(a, b)!;
  // Δtotal = 60 + 20 + 10 + 10 = 100: busy = user 60 + steal 10 (steal is not idle), iowait 10, steal 10
  assert.equal(s.usagePercent, 70);
  assert.equal(s.iowaitPercent, 10);
  assert.equal(s.stealPercent, 10);
  assert.deepEqual(s.perCore, [70]);
});

test('cpu: counters going backwards start a new baseline; no elapsed jiffy reads as idle', () => {
  const a = parseProcStat(stat(2000, 2000));
  assert.equal(deriveCpu(a, parseProcStat(stat(1000, 1000))), null);
  assert.deepEqual(cpuShares(a.total, a.total), { busy: 0, iowait: 0, steal: 0 });
});

test('memory: used = total − MemAvailable, swap, kB → bytes, no-swap host at 0%', () => {
  const text = 'MemTotal:        1000 kB\nMemFree:          100 kB\nMemAvailable:     250 kB\nSwapTotal:        400 kB\nSwapFree:         300 kB\nHugePages_Total:       0\n';
  const m = parseMemory(text);
  assert.equal(m.totalBytes, 1000 * 1024);
  assert.equal(m.usedBytes, 750 * 1024);
  assert.equal(m.usagePercent, 75);
  assert.equal(m.swapUsedBytes, 100 * 1024);
  assert.equal(m.swapUsagePercent, 25);
  assert.equal(parseMeminfo(text).get('HugePages_Total'), 0);
  const noSwap = parseMemory('MemTotal: 100 kB\nMemAvailable: 50 kB\nSwapTotal: 0 kB\nSwapFree: 0 kB\n');
  assert.equal(noSwap.swapUsagePercent, 0);
});

test('memory: without MemAvailable (old kernels) free + buffers + cached; garbage is an error', () => {
  const m = parseMemory('MemTotal: 100 kB\nMemFree: 10 kB\nBuffers: 5 kB\nCached: 25 kB\n');
  assert.equal(m.availableBytes, 40 * 1024);
  assert.throws(() => parseMemory('MemTotal: lots\ngarbage\n'), /no "MemTotal: N kB" line/);
});

test('load: averages and running/total tasks; malformed text is quoted', () => {
  assert.deepEqual(parseLoadavg('1.18 0.63 0.42 2/118 11867\n'), {
    load1: 1.18, load5: 0.63, load15: 0.42, runningTasks: 2, totalTasks: 118,
  });
  assert.throws(() => parseLoadavg('not a loadavg\n'), /got "not a loadavg"/);
});

test('mounts: octal escapes decoded; pseudo, read-only and twice-mounted devices left out', () => {
  assert.equal(decodeMountPath('/mnt/my\\040disk\\011x\\134y'), '/mnt/my disk\tx\\y');
  const mounts = parseMounts(
    [
      'proc /proc proc rw,relatime 0 0',
      '/dev/vda / ext4 rw,relatime 0 0',
      '/dev/vda /srv/bind ext4 rw,relatime 0 0',
      'tmpfs /run tmpfs rw,nosuid 0 0',
      'tmpfs /dev/shm tmpfs rw 0 0',
      'overlay /var/lib/docker/x/merged overlay rw 0 0',
      '/dev/loop3 /snap/core/1 squashfs ro,nodev 0 0',
      '/dev/sdb1 /mnt/my\\040disk xfs rw 0 0',
      '/dev/sdc1 /mnt/iso ext4 ro 0 0',
      'cgroup2 /sys/fs/cgroup cgroup2 rw 0 0',
      'garbage',
    ].join('\n'),
  );
  assert.deepEqual(
    selectMounts(mounts).map((m) => m.mountPoint),
    ['/', '/run', '/dev/shm', '/var/lib/docker/x/merged', '/mnt/my disk'],
  );
});

test('mounts: usage like df (reserved blocks are neither used nor available)', () => {
  const u = mountUsage(
    { device: '/dev/vda', mountPoint: '/', fsType: 'ext4', options: [] },
    { totalBytes: 1000, freeBytes: 300, availableBytes: 200 },
  );
  assert.equal(u.usedBytes, 700);
  assert.equal(u.usagePercent, (700 / 900) * 100);
});

const diskLine = (name: string, reads: number, sr: number, writes: number, sw: number, ticks: number) =>
  `   8       0 ${name} ${reads} 0 ${sr} 0 ${writes} 0 ${sw} 0 0 ${ticks} 0 0 0 0 0 0 0`;

test('diskstats: whole disks only (no loop/ram, no partitions of a listed disk)', () => {
  const c = parseDiskstats(
    ['sda', 'sda1', 'sda2', 'nvme0n1', 'nvme0n1p1', 'loop0', 'ram0', 'dm-0', 'md0', 'vda', 'mmcblk0p1']
      .map((d) => diskLine(d, 1, 1, 1, 1, 1))
      .join('\n') + '\nshort line 1 2\n',
  );
  assert.equal(c.length, 11);
  // mmcblk0p1 stays: its disk is not listed, so it is all we know of that disk.
  assert.deepEqual(selectDisks(c).map((d) => d.device), ['sda', 'nvme0n1', 'dm-0', 'md0', 'vda', 'mmcblk0p1']);
});

test('diskstats: bytes/s from 512-byte sectors, IOPS, utilisation from io_ticks; baseline and resets', () => {
  const a = parseDiskstats(diskLine('sda', 100, 1000, 50, 2000, 10_000));
  const b = parseDiskstats(diskLine('sda', 300, 3000, 150, 6000, 10_500) + '\n' + diskLine('sdb', 1, 1, 1, 1, 1));
  assert.equal(deriveDiskIo(undefined, a, 1000), null);
  const s = deriveDiskIo(a, b, 2000)!;
  assert.equal(s.devices.length, 1, 'sdb has no baseline yet');
  assert.deepEqual(s.devices[0], {
    device: 'sda', readBytesPerSec: (2000 * 512) / 2, writeBytesPerSec: (4000 * 512) / 2,
    readIops: 100, writeIops: 50, utilizationPercent: 25,
  });
  assert.equal(s.maxUtilizationPercent, 25);
  const wrapped = deriveDiskIo(b, a, 1000)!;
  assert.deepEqual(wrapped.devices, []);
  const busy = deriveDiskIo(a, parseDiskstats(diskLine('sda', 100, 1000, 50, 2000, 12_000)), 1000)!;
  assert.equal(busy.maxUtilizationPercent, 100, 'clamped');
});

test('addresses: little-endian v4 and v6 words, IPv4-mapped v6 as plain v4, RFC 5952 compression', () => {
  assert.equal(decodeIpv4Hex('0100007F'), '127.0.0.1');
  assert.equal(decodeIpv4Hex('0A71CBCB'), '203.203.113.10');
  assert.equal(decodeIpv6Hex('00000000000000000000000001000000'), '::1');
  assert.equal(decodeIpv6Hex('00000000000000000000000000000000'), '::');
  assert.equal(decodeIpv6Hex('0000000000000000FFFF00000100007F'), '127.0.0.1');
  assert.equal(decodeIpv6Hex('0000000000000000FFFF00000A71CBCB'), '203.203.113.10');
  // 2001:db8::1 → words 20010db8 00000000 00000000 00000001, each printed little-endian
  assert.equal(decodeIpv6Hex('B80D0120000000000000000001000000'), '2001:db8::1');
  // this machine's eth0 link-local, fe8000000000000000fc00fffe000001 in /proc/net/if_inet6 (big-endian there)
  assert.equal(decodeIpv6Hex('000080FE00000000FF00FC00010000FE'), 'fe80::fc:ff:fe00:1');
  // a single zero group is not compressed
  assert.equal(decodeIpv6Hex('B80D0120000001000300020005000400'), '2001:db8:1:0:2:3:4:5');
  assert.ok(isLoopback('127.8.9.10') && isLoopback('::1') && !isLoopback('10.0.0.1') && !isLoopback('::ffff:1'));
});

const tcpHeader = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';
const tcpLine = (sl: number, local: string, remote: string, st: string) =>
  `  ${sl}: ${local} ${remote} ${st} 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0`;

test('tcp: states by name, LISTEN not a connection, per remote IP without loopback, new connections/s', () => {
  const t0 = parseProcNetTcp(
    [
      tcpHeader,
      tcpLine(0, '00000000:0016', '00000000:0000', '0A'), // LISTEN :22
      tcpLine(1, '0200000A:0016', '0A71CBCB:D431', '01'), // 10.0.0.2:22 ← 203.203.113.10
      tcpLine(2, '0200000A:0016', '0A71CBCB:D432', '01'),
      tcpLine(3, '0100007F:1F90', '0100007F:9C40', '01'), // loopback client
      tcpLine(4, '0200000A:0016', '0B71CBCB:D433', '06'), // TIME_WAIT
      'garbage line',
    ].join('\n'),
  );
  const t0v6 = parseProcNetTcp(
    [
      tcpHeader,
      tcpLine(0, '0000000000000000FFFF00000200000A:0050', '0000000000000000FFFF00000A71CBCB:D500', '01'),
      tcpLine(1, '00000000000000000000000001000000:0050', '00000000000000000000000001000000:D501', '01'),
      tcpLine(2, 'B80D0120000000000000000002000000:0050', 'B80D0120000000000000000009000000:D502', '01'),
    ].join('\n'),
  );
  const dev0 = parseNetDev(
    'Inter-|   Receive\n face |bytes packets\n    lo: 500 5 0 0 0 0 0 0 500 5 0 0 0 0 0 0\n  eth0: 1000 10 0 0 0 0 0 0 2000 20 0 0 0 0 0 0\n',
  );
  const a = summariseNetwork([...t0, ...t0v6], dev0);
  assert.deepEqual(a.table.connectionsByState, { LISTEN: 1, ESTABLISHED: 6, TIME_WAIT: 1 });
  assert.equal(a.table.totalConnections, 7);
  assert.deepEqual(a.table.establishedPerRemoteIp, { '203.203.113.10': 3, '2001:db8::9': 1 });
  const first = deriveNetwork(undefined, a, 0);
  assert.equal(first.newConnectionsPerSec, 0);
  assert.equal(first.rxBytesPerSec, 0);

  // 2 s later: one connection closed, two opened, eth0 +4000 rx / +1000 tx, lo ignored
  const t1 = [
    ...t0.filter((s) => s.remotePort !== 0xd432),
    ...parseProcNetTcp([tcpHeader, tcpLine(9, '0200000A:0016', '0C71CBCB:D434', '03'), tcpLine(10, '0200000A:0016', '0C71CBCB:D435', '01')].join('\n')),
  ];
  const dev1 = parseNetDev('  lo: 9999 5 0 0 0 0 0 0 9999 5 0 0 0 0 0 0\n  eth0: 5000 10 0 0 0 0 0 0 3000 20 0 0 0 0 0 0\n');
  const s = deriveNetwork(a, summariseNetwork([...t1, ...t0v6], dev1), 2000);
  assert.equal(s.newConnectionsPerSec, 1);
  assert.equal(s.rxBytesPerSec, 2000);
  assert.equal(s.txBytesPerSec, 500);
  assert.equal(s.connectionsByState.SYN_RECV, 1);
  // a re-created interface (counters restarted) contributes nothing rather than a negative rate
  const reset = deriveNetwork(summariseNetwork([], dev1), summariseNetwork([], dev0), 1000);
  assert.equal(reset.rxBytesPerSec, 0);
});

const snmpText = (active: number, passive: number) =>
  'Ip: Forwarding DefaultTTL\nIp: 1 64\n' +
  'Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails EstabResets CurrEstab\n' +
  `Tcp: 1 200 120000 -1 ${active} ${passive} 3 4 5\n` +
  'Udp: InDatagrams NoPorts\nUdp: 7 8\n';
const sockstatText = (inuse: number, tw: number) => `sockets: used 9\nTCP: inuse ${inuse} orphan 0 tw ${tw} alloc 9 mem 1\nUDP: inuse 2 mem 0\n`;

test('snmp and sockstat: header/value line pairs, key/value lines; counters summed, v6 optional', () => {
  const snmp = parseNetSnmp(snmpText(100, 50));
  assert.equal(snmp.Tcp.ActiveOpens, 100);
  assert.equal(snmp.Tcp.MaxConn, -1);
  assert.equal(snmp.Udp.NoPorts, 8);
  assert.equal(snmp.Ip.DefaultTTL, 64);
  assert.deepEqual(parseSockstat(sockstatText(12, 30)).TCP, { inuse: 12, orphan: 0, tw: 30, alloc: 9, mem: 1 });
  assert.deepEqual(tcpCountersOf(snmpText(100, 50), sockstatText(12, 30), 'TCP6: inuse 3\nUDP6: inuse 0\n'), { opens: 150, inUse: 15, timeWait: 30 });
  assert.deepEqual(tcpCountersOf(snmpText(100, 50), sockstatText(12, 30), ''), { opens: 150, inUse: 12, timeWait: 30 });
  assert.throws(() => tcpCountersOf('Ip: Forwarding\nIp: 1\n', sockstatText(1, 1), ''), (e: unknown) => e instanceof CollectorError && /net\/snmp/.test(e.message));
  assert.throws(() => tcpCountersOf(snmpText(1, 1), 'UDP: inuse 2 mem 0\n', ''), (e: unknown) => e instanceof CollectorError && /net\/sockstat/.test(e.message));
});

test('network with counters: new conn/s from the opens delta, total = inuse + tw - LISTEN + SYN_RECV of the table', () => {
  const sockets = parseProcNetTcp(
    [
      tcpHeader,
      tcpLine(0, '00000000:0016', '00000000:0000', '0A'), // LISTEN
      tcpLine(1, '0200000A:0016', '0A71CBCB:D431', '01'),
      tcpLine(2, '0200000A:0016', '0A71CBCB:D432', '03'), // SYN_RECV (a request socket: not in inuse)
    ].join('\n'),
  );
  const counters = (opens: number, inUse: number, timeWait: number) => ({ opens, inUse, timeWait });
  const a = summariseNetwork(sockets, [], counters(1000, 2, 0));
  const first = deriveNetwork(undefined, a, 0);
  assert.equal(first.newConnectionsPerSec, 0);
  // inuse 2 (LISTEN + ESTABLISHED) + tw 0 - LISTEN 1 + SYN_RECV 1 = the table's own count
  assert.equal(first.totalConnections, a.table.totalConnections);
  assert.equal(first.totalConnections, 2);
  // 2 s later, same (reused) table: 30 opens, 9 more sockets in use, 4 in TIME_WAIT
  const b = { ...a, counters: counters(1030, 11, 4) };
  const s = deriveNetwork(a, b, 2000);
  assert.equal(s.newConnectionsPerSec, 15);
  assert.equal(s.totalConnections, 11 + 4 - 1 + 1);
  assert.deepEqual(s.establishedPerRemoteIp, { '203.203.113.10': 1 });
  // a counter that went backwards (another proc root, a reboot) gives no rate, never a negative one
  assert.equal(deriveNetwork(b, a, 1000).newConnectionsPerSec, 0);
  // counters on one side only: no comparable pair
  const noCounters = summariseNetwork([], []);
  assert.equal(deriveNetwork(noCounters, b, 1000).newConnectionsPerSec, 0);
  assert.equal(deriveNetwork(b, { ...noCounters, table: summariseNetwork([...sockets, ...sockets], []).table }, 1000).newConnectionsPerSec, 0);
});

test('pid stat: a comm with spaces and ")" runs to the last ")"; rss in pages; malformed → null', () => {
  const p = parsePidStat(
    '17727 (a b) c) S 17704 17699 2874 0 -1 4194304 114 0 0 0 7 3 0 0 20 0 1 0 546083 2990080 413 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n',
  )!;
  assert.deepEqual(p, {
    pid: 17727, ppid: 17704, pgid: 17699, sid: 2874, name: 'a b) c', state: 'S', cpuTicks: 10, startTicks: 546083, rssBytes: 413 * 4096,
  });
  // the longest comm (a kernel thread's, 64 bytes) and one of only `)`: the name still runs to its last `)`
  const long = `kworker/u8:3-${'x'.repeat(46)}) (y)`;
  assert.equal(long.length, 64);
  const tail = ' S 2 0 0 0 -1 69238880 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0 18446744073709551615 0 0 0 0 0 0 0 2147483647 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n';
  assert.equal(parsePidStat(`9 (${long})${tail}`)?.name, long);
  assert.equal(parsePidStat(`10 ())))))))))))))))${tail}`)?.name, ')'.repeat(15));
  assert.equal(parsePidStat('123 (trunc) S 1 2'), null);
  assert.equal(parsePidStat(''), null);
  assert.equal(parseStatusUid('Name:\tsshd\nUid:\t1000\t0\t0\t0\nGid:\t0\n'), 1000);
  assert.equal(parseStatusUid('Name:\tx\n'), -1);
});

const proc = (pid: number, cpuTicks: number, rssBytes: number, startTicks = 1): ProcStat => ({
  pid, ppid: 1, pgid: pid, sid: pid, name: `p${pid}`, state: 'R', cpuTicks, startTicks, rssBytes,
});
const table = (...ps: ProcStat[]) => ({ processes: new Map(ps.map((p) => [p.pid, p])) });

test('processes: first tick has no CPU ranking; then CPU% from tick deltas; recycled pids are not compared', () => {
  const t0 = table(proc(1, 0, 100), proc(2, 1000, 500), proc(3, 50, 300), proc(4, 10, 50, 7));
  const first = deriveProcesses(undefined, t0, 0, 2);
  assert.equal(first.count, 4);
  assert.deepEqual(first.topByCpu, []);
  assert.deepEqual(first.topByMemory.map((p) => p.pid), [2, 3]);
  // 2 s later: pid 3 used 150 ticks (1.5 s → 75%), pid 2 used 20 (10%), pid 4 is a NEW process (other start time)
  const t1 = table(proc(1, 0, 100), proc(2, 1020, 500), proc(3, 200, 300), proc(4, 900, 50, 99));
  const s = deriveProcesses(t0, t1, 2000, 3);
  assert.deepEqual(s.topByCpu.map((p) => [p.pid, p.cpuPercent]), [[3, 75], [2, 10], [1, 0]]);
  assert.equal(s.topByCpu.find((p) => p.pid === 4), undefined, 'recycled pid 4 has no delta (0%), ranks last');
});

test('processes: top-N selection on a large table matches a full sort', () => {
  const ps = Array.from({ length: 500 }, (_, i) => proc(i + 1, (i * 7919) % 1000, ((i * 104729) % 5000) * 4096));
  const prev = table(...ps.map((p) => ({ ...p, cpuTicks: 0 })));
  const s = deriveProcesses(prev, table(...ps), 1000, 10);
  const expectCpu = ps.slice().sort((a, b) => b.cpuTicks - a.cpuTicks || b.rssBytes - a.rssBytes).slice(0, 10).map((p) => p.pid);
  const expectMem = ps.slice().sort((a, b) => b.rssBytes - a.rssBytes || b.cpuTicks - a.cpuTicks).slice(0, 10).map((p) => p.pid);
  assert.deepEqual(s.topByCpu.map((p) => p.pid), expectCpu);
  assert.deepEqual(s.topByMemory.map((p) => p.pid), expectMem);
});

test('self: first tick averages CPU over the lifetime, then over the tick', () => {
  const a = { cpuMicros: 2_000_000, uptimeMs: 10_000, rssBytes: 1, rssBaselineBytes: 1, openFds: 5, fdLimit: 1024, eventLoopLagMs: 1 };
  assert.equal(deriveSelf(undefined, a, 0).cpuPercent, 20);
  const b = { ...a, cpuMicros: 2_500_000, uptimeMs: 15_000 };
  assert.equal(deriveSelf(a, b, 5000).cpuPercent, 10);
});

test('custom output: numbers and {"value": N}; anything else says what it got', () => {
  assert.deepEqual(parseCustomOutput(' 42.5\n', 'number'), { value: 42.5 });
  assert.deepEqual(parseCustomOutput('{"value": 7}', 'json'), { value: 7 });
  assert.deepEqual(parseCustomOutput('{"value": "8"}', 'json'), { value: 8 });
  assert.match((parseCustomOutput('', 'number') as { error: string }).error, /expected a number/);
  assert.match((parseCustomOutput('abc', 'number') as { error: string }).error, /got "abc"/);
  assert.match((parseCustomOutput('{"v": 1}', 'json') as { error: string }).error, /numeric value/);
  assert.match((parseCustomOutput('nope', 'json') as { error: string }).error, /expected JSON/);
});
