/**
 * One full collection cycle (every periodic collector: read → derive → complete) on
 * this machine's real proc root, 200 times, after 10 warm-up cycles. Prints the median
 * and p95 of the whole cycle, then of each collector run alone (in the cycle, the
 * synchronous reads of one collector delay the others, so only alone is a fair split).
 * Target: median < 5 ms. The socket table's size is printed: it dominates on busy hosts.
 *
 *   node --import tsx test/bench/collection-cycle.bench.ts
 */
import { createHost } from '../../src/host/host.js';
import { createCollectors } from '../../src/collectors/registry.js';
import type { AnyCollector } from '../../src/collectors/collector.js';

const host = createHost();
const collectors = createCollectors();
const RUNS = 200;
const WARMUP = 10;

type Loose = { read(h: typeof host): Promise<unknown>; derive(p: unknown, c: unknown, ms: number): unknown; complete?(h: typeof host, s: unknown): Promise<unknown> };
const prev = new Map<AnyCollector, { raw: unknown; at: number }>();
const perCollector = new Map<string, number[]>(collectors.map((c) => [c.name, []]));

const runOne = async (c: AnyCollector) => {
  const col = c as unknown as Loose;
  const t0 = performance.now();
  const raw = await col.read(host);
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

const pids = (await host.listProc()).filter((e) => /^\d+$/.test(e)).length;
const sockets = (await host.readProc('net', 'tcp')).split('\n').length - 2;
const fmt = (x: number) => x.toFixed(2).padStart(7);
console.log(`collection cycle on ${host.procRoot} (${pids} processes, ~${sockets} IPv4 sockets, ${collectors.length} collectors, ${RUNS} runs)`);
console.log(`  whole cycle   median ${fmt(quantile(totals, 0.5))} ms   p95 ${fmt(quantile(totals, 0.95))} ms`);
for (const [name, xs] of perCollector) {
  console.log(`  ${name.padEnd(12)}  alone: median ${fmt(quantile(xs, 0.5))} ms   p95 ${fmt(quantile(xs, 0.95))} ms`);
}
for (const c of collectors) c.close?.();
