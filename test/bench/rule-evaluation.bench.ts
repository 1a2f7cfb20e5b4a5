/**
 * Rule evaluation alone: recorded-style metric snapshots replayed through 20 rules
 * (periodic monitors of every type + the anomaly detector), no I/O.
 * Target: over 150,000 snapshots per second (issue 9: the operator composition may not cost speed).
 *
 *   node --import tsx test/bench/rule-evaluation.bench.ts
 */
import { Subject } from 'rxjs';
import { compileRule } from '../../src/rules/compile-rule.js';
import { compileMonitors } from '../../src/rules/compile-monitors.js';
import { anomalyRules } from '../../src/rules/anomaly-rules.js';
import { emptyMetrics, type Metrics } from '../../src/model/metrics.js';

const monitors = [
  ['cpu_usage', 80], ['cpu_usage', 95], ['memory_usage', 85], ['memory_usage', 95], ['swap_usage', 70],
  ['swap_usage', 90], ['disk_usage', 90], ['disk_usage', 95], ['load_average', 4], ['load_average', 8],
  ['disk_io', 80], ['disk_io', 95], ['connection_rate', 1000], ['process_count', 500],
].map(([type, threshold], i) => ({
  name: `rule${i}`,
  type: type as string,
  threshold: threshold as number,
  actions: ['alert_warning'],
  duration: i % 3 === 0 ? 10_000 : 0,
}));
const rules = [
  ...compileMonitors(monitors).rules,
  ...anomalyRules({
    cpu_spike_threshold: 95, memory_spike_threshold: 95, connection_spike_threshold: 10000,
    suspicious_ip_threshold: 3, high_load_threshold: 10, suspicious_connections_per_ip: 50,
  }),
];
if (rules.length !== 20) throw new Error(`expected 20 rules, got ${rules.length}`);

// 10,000 snapshots shaped like a real host's, values wandering across the thresholds.
const snapshots: Metrics[] = Array.from({ length: 10_000 }, (_, i) => {
  const wave = (p: number) => 50 + 49 * Math.sin(i / p);
  const m = emptyMetrics(i * 5000);
  m.cpu = { usagePercent: wave(37), perCore: [wave(37), wave(41)], iowaitPercent: 1, stealPercent: 0 };
  m.memory = { totalBytes: 8e9, availableBytes: 4e9, usedBytes: 4e9, usagePercent: wave(53), swapTotalBytes: 2e9, swapUsedBytes: 1e9, swapUsagePercent: wave(71) };
  m.load = { load1: wave(29) / 10, load5: 1, load15: 1, runningTasks: 2, totalTasks: 300 };
  m.disk = { mounts: [
    { mountPoint: '/', device: 'sda1', fsType: 'ext4', totalBytes: 1e11, usedBytes: 5e10, availableBytes: 5e10, usagePercent: wave(97) },
    { mountPoint: '/data', device: 'sdb1', fsType: 'xfs', totalBytes: 1e12, usedBytes: 5e11, availableBytes: 5e11, usagePercent: wave(89) },
  ] };
  m.diskIo = { devices: [{ device: 'sda', readBytesPerSec: 1e6, writeBytesPerSec: 1e6, readIops: 10, writeIops: 10, utilizationPercent: wave(43) }], maxUtilizationPercent: wave(43) };
  m.network = {
    connectionsByState: { ESTABLISHED: 40 }, totalConnections: 40 + Math.round(wave(31)),
    establishedPerRemoteIp: { '203.0.113.7': Math.round(wave(17)), '198.51.100.2': 3 },
    newConnectionsPerSec: wave(23) * 15, rxBytesPerSec: 1e5, txBytesPerSec: 1e5,
  };
  m.processes = { count: 300 + Math.round(wave(61) * 3), topByCpu: [], topByMemory: [] };
  return m;
});

const metrics$ = new Subject<Metrics>();
let incidents = 0;
for (const r of rules) metrics$.pipe(compileRule(r)).subscribe(() => incidents++);

const rounds = 30;
const started = performance.now();
const cpuBefore = process.cpuUsage();
for (let k = 0; k < rounds; k++) for (const m of snapshots) metrics$.next(m);
const ms = performance.now() - started;
const cpu = process.cpuUsage(cpuBefore);
// CPU time as well as wall time: on a shared machine the wall figure mostly measures the neighbours
const cpuMs = (cpu.user + cpu.system) / 1000;
const n = rounds * snapshots.length;
const rate = (perMs: number) => Math.round(perMs * 1000).toLocaleString('en-US');
console.log(
  `rule evaluation: ${rules.length} rules, ${n} snapshots in ${ms.toFixed(0)} ms = ${rate(n / ms)} snapshots/s ` +
    `(${rate(n / cpuMs)} per CPU-second; ${incidents} incidents raised)`,
);
