/**
 * One full collection cycle (every periodic collector: read → derive → complete) on
 * this machine's real proc root, 200 times, after 10 warm-up cycles (a collector's part,
 * the socket tables, read once beforehand and timed alone: it has its own cadence). Prints the median
 * and p95 of the whole cycle, then of each collector run alone (in the cycle, the
 * synchronous reads of one collector delay the others, so only alone is a fair split).
 * Target: median < 5 ms. The socket table's size is printed: it dominates on busy hosts.
 *
 * Then the idle cost that matters: the real metrics stream with its default cadences
 * (cpu/memory/load/disk I/O/network counters/self every check_interval, processes and
 * socket tables every 15 s, disk usage every 60 s) run for STREAM_SECONDS (default 60) at
 * CHECK_MS (default 5000, the default check_interval): this process's CPU time per
 * snapshot and as a share of one core (goal: < 0.1 %), and the reads it made through
 * the Host port (files, directory listings, statfs) per snapshot. The stream section uses only
 * `metricsStream(host, { intervalMs, logger })`, so the same file runs on older trees.
 *
 *   node --import tsx test/bench/collection-cycle.bench.ts
 *   CHECK_MS=5000 STREAM_SECONDS=120 node --import tsx test/bench/collection-cycle.bench.ts
 */
import { lastValueFrom, takeUntil, tap, timer } from 'rxjs';
import { createHost } from '../../src/host/host.js';
import { createCollectors } from '../../src/collectors/registry.js';
import { metricsStream } from '../../src/collectors/metrics-stream.js';
import { memoryLogger } from '../../src/log/logger.js';
import type { AnyCollector } from '../../src/collectors/collector.js';

const host = createHost();
const collectors = createCollectors();
const RUNS = 200;
const WARMUP = 10;

type Part = { name: string; read(h: typeof host): Promise<unknown> };
type Loose = {
  read(h: typeof host, part?: unknown): Promise<unknown>;
  derive(p: unknown, c: unknown, ms: number): unknown;
  complete?(h: typeof host, s: unknown): Promise<unknown>;
  part?: Part;
};
const prev = new Map<AnyCollector, { raw: unknown; at: number }>();
const perCollector = new Map<string, number[]>(collectors.map((c) => [c.name, []]));
// A collector's part (the network collector's socket tables) has its own, slower cadence:
// the cycle hands each read the part's result read once, and the part is timed on its own.
const parts = new Map<AnyCollector, { part: Part; latest: unknown }>();
for (const c of collectors) {
  const part = (c as unknown as Loose).part;
  if (part) parts.set(c, { part, latest: await part.read(host) });
}

const runOne = async (c: AnyCollector) => {
  const col = c as unknown as Loose;
  const t0 = performance.now();
  const raw = await col.read(host, parts.get(c)?.latest);
  const p = prev.get(c);
  const sample = col.derive(p?.raw, raw, p ? t0 - p.at : 0);
  prev.set(c, { raw, at: t0 });
  if (sample !== null && col.complete) await col.complete(host, sample);
  return performance.now() - t0;
};

const cycle = async () => {
  const t0 = performance.now();
  await Promise.all(collectors.map(runOne));
  return performance.now() - t0;
};

const quantile = (xs: number[], q: number) => {
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};

for (let i = 0; i < WARMUP; i++) await cycle();
const totals: number[] = [];
for (let i = 0; i < RUNS; i++) totals.push(await cycle());
for (const c of collectors) for (let i = 0; i < RUNS / 4; i++) perCollector.get(c.name)!.push(await runOne(c));
for (const { part } of parts.values()) {
  const xs: number[] = [];
  for (let i = 0; i < RUNS / 4; i++) {
    const t0 = performance.now();
    await part.read(host);
    xs.push(performance.now() - t0);
  }
  perCollector.set(`${part.name} (part)`, xs);
}

const pids = (await host.listProc()).filter((e) => /^\d+$/.test(e)).length;
const sockets = (await host.readProc('net', 'tcp')).split('\n').length - 2;
const fmt = (x: number) => x.toFixed(2).padStart(7);
console.log(`collection cycle on ${host.procRoot} (${pids} processes, ~${sockets} IPv4 sockets, ${collectors.length} collectors, ${RUNS} runs)`);
console.log(`  whole cycle   median ${fmt(quantile(totals, 0.5))} ms   p95 ${fmt(quantile(totals, 0.95))} ms`);
for (const [name, xs] of perCollector) {
  console.log(`  ${name.padEnd(12)}  alone: median ${fmt(quantile(xs, 0.5))} ms   p95 ${fmt(quantile(xs, 0.95))} ms`);
}
for (const c of collectors) c.close?.();

const CHECK_MS = Number(process.env.CHECK_MS ?? 5000);
const STREAM_SECONDS = Number(process.env.STREAM_SECONDS ?? 60);
let snapshots = 0;
// Every file, directory and statfs read the stream makes through the Host port, counted.
let reads = 0;
const counted = <A extends unknown[], R>(f: (...a: A) => R) => (...a: A): R => {
  reads++;
  return f(...a);
};
const countingHost: typeof host = {
  ...host,
  readProc: counted(host.readProc),
  readProcSync: counted(host.readProcSync),
  listProc: counted(host.listProc),
  listProcSync: counted(host.listProcSync),
  readProcLink: counted(host.readProcLink),
  statfs: counted(host.statfs),
};
const cpu0 = process.cpuUsage();
await lastValueFrom(
  metricsStream(countingHost, { intervalMs: CHECK_MS, logger: memoryLogger() }).pipe(
    tap(() => snapshots++),
    takeUntil(timer(STREAM_SECONDS * 1000)),
  ),
  { defaultValue: undefined },
);
const used = process.cpuUsage(cpu0);
const cpuMs = (used.user + used.system) / 1000;
console.log(
  `metrics stream, default cadences, check_interval ${CHECK_MS} ms, ${STREAM_SECONDS} s: ${snapshots} snapshots, ` +
    `${reads} reads = ${(reads / snapshots).toFixed(1)} per snapshot, ` +
    `CPU ${cpuMs.toFixed(1)} ms = ${(cpuMs / snapshots).toFixed(2)} ms per snapshot = ${((cpuMs / (STREAM_SECONDS * 1000)) * 100).toFixed(3)} % of a core`,
);
