import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestScheduler } from 'rxjs/testing';
import { map } from 'rxjs';
import { compileRule } from '../../src/rules/compile-rule.js';
import { compileMonitors } from '../../src/rules/compile-monitors.js';
import { emptyMetrics, type Metrics } from '../../src/model/metrics.js';

const cpuAt = (ts: number, usagePercent: number): Metrics => ({
  ...emptyMetrics(ts),
  cpu: { usagePercent, perCore: [usagePercent], iowaitPercent: 0, stealPercent: 0 },
});

const rule = (extra: Record<string, unknown> = {}) =>
  compileMonitors([{ name: 'high_cpu', type: 'cpu_usage', threshold: 80, actions: ['alert_critical'], ...extra }]).rules[0]!;

const scheduler = () => new TestScheduler((a, e) => assert.deepEqual(a, e));

test('fires on every breached tick, exclusive edge: exactly at threshold does not fire', () => {
  scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
    const src = cold('a-b-c-d|', { a: 79, b: 80, c: 81, d: 90 });
    let t = 0;
    const out = src.pipe(map((v) => cpuAt((t += 1000), v)), compileRule(rule()), map((i) => `${i.status}:${i.metadata.currentValue}`));
    expectObservable(out).toBe('----c-d|', { c: 'firing:81', d: 'firing:90' });
    expectSubscriptions(src.subscriptions).toBe('^------!');
  });
});

test('inclusive edge fires at exactly the threshold', () => {
  scheduler().run(({ cold, expectObservable }) => {
    const src = cold('a-b|', { a: 79, b: 80 });
    let t = 0;
    const out = src.pipe(map((v) => cpuAt((t += 1000), v)), compileRule(rule({ inclusive: true })), map((i) => i.metadata.currentValue));
    expectObservable(out).toBe('--b|', { b: 80 });
  });
});

test('below comparison fires when the value drops under the threshold', () => {
  scheduler().run(({ cold, expectObservable }) => {
    const src = cold('a-b|', { a: 90, b: 10 });
    let t = 0;
    const out = src.pipe(map((v) => cpuAt((t += 1000), v)), compileRule(rule({ comparison: 'below' })), map((i) => i.metadata.currentValue));
    expectObservable(out).toBe('--b|', { b: 10 });
  });
});

test('resolved is emitted once after clearTicks clear ticks; flapping does not resolve', () => {
  scheduler().run(({ cold, expectObservable }) => {
    //                 breach  flap   breach  clear clear clear  clear
    const src = cold('a b c d e f g h|', { a: 95, b: 70, c: 96, d: 50, e: 50, f: 50, g: 50, h: 95 });
    let t = 0;
    const out = src.pipe(map((v) => cpuAt((t += 1000), v)), compileRule(rule(), { clearTicks: 3 }), map((i) => `${i.status}:${i.metadata.currentValue}`));
    expectObservable(out).toBe('a - c - - f - h|', { a: 'firing:95', c: 'firing:96', f: 'resolved:50', h: 'firing:95' });
  });
});

test('duration: fires only once the breach has held for the duration (snapshot time)', () => {
  const spec = rule({ duration: 3000 });
  scheduler().run(({ cold, expectObservable }) => {
    // ts: 1000, 2000, 3000, 4000, 5000, 6000 — breach starts at 2000, held 3000 ms at 5000
    const src = cold('a b c d e f|', { a: 10, b: 90, c: 90, d: 90, e: 90, f: 90 });
    let t = 0;
    const out = src.pipe(map((v) => cpuAt((t += 1000), v)), compileRule(spec), map((i) => i.ts));
    expectObservable(out).toBe('- - - - e f|', { e: 5000, f: 6000 });
  });
});

/** A snapshot as the metrics stream gives it: each field read `ageMs` before it, averaging the `windowMs` before that read (every field carries one). */
const streamed = (ts: number, cpu: number, memory: number, windowMs = 5000, ageMs = 0): Metrics => ({
  ...cpuAt(ts, cpu),
  memory: { totalBytes: 100, availableBytes: 100 - memory, usedBytes: memory, usagePercent: memory, swapTotalBytes: 0, swapUsedBytes: 0, swapUsagePercent: 0 },
  ages: { cpu: ageMs, memory: ageMs },
  windows: { cpu: windowMs, memory: windowMs },
});

test('duration of a windowed value (cpu_usage): counted from the start of the first breaching sample\'s window', () => {
  // check_interval 5 s, duration 5 s. The CPU % at 10 s is the average over 5–10 s: 95 %
  // held all that window, so 5 s have passed at the first breaching sample (the old
  // count from the sample's time fired a check later, at 15 s).
  const cpu = rule({ duration: 5000 });
  scheduler().run(({ cold, expectObservable }) => {
    const src = cold('a b c d|', { a: streamed(5000, 10, 10), b: streamed(10_000, 95, 10), c: streamed(15_000, 95, 10), d: streamed(20_000, 95, 10) });
    expectObservable(src.pipe(compileRule(cpu), map((i) => i.ts))).toBe('- b c d|', { b: 10_000, c: 15_000, d: 20_000 });
  });
  // read 300 ms before the snapshot over a 4.6 s window (a slow read before): held since 10000 − 300 − 4600 = 5100, 4.9 s at 10 s
  scheduler().run(({ cold, expectObservable }) => {
    const src = cold('a b c|', { a: streamed(5000, 10, 10), b: streamed(10_000, 95, 10, 4600, 300), c: streamed(15_000, 95, 10) });
    expectObservable(src.pipe(compileRule(cpu), map((i) => i.ts))).toBe('- - c|', { c: 15_000 });
  });
});

test('duration of an instantaneous value (memory_usage): counted from the first breaching sample, whatever window the snapshot carries', () => {
  const memory = compileMonitors([{ name: 'memory', type: 'memory_usage', threshold: 80, duration: 5000, actions: ['alert_critical'] }]).rules[0]!;
  scheduler().run(({ cold, expectObservable }) => {
    const src = cold('a b c d|', { a: streamed(5000, 10, 10), b: streamed(10_000, 10, 95), c: streamed(15_000, 10, 95), d: streamed(20_000, 10, 95) });
    // two samples 5 s apart: 10 s and 15 s
    expectObservable(src.pipe(compileRule(memory), map((i) => i.ts))).toBe('- - c d|', { c: 15_000, d: 20_000 });
  });
});

test('a gap in the breach restarts the duration', () => {
  const spec = rule({ duration: 2000 });
  scheduler().run(({ cold, expectObservable }) => {
    const src = cold('a b c d e|', { a: 90, b: 90, c: 10, d: 90, e: 90 });
    let t = 0;
    const out = src.pipe(map((v) => cpuAt((t += 1000), v)), compileRule(spec), map((i) => i.ts));
    expectObservable(out).toBe('-----|');
  });
});

test('a degraded collector (null metric) neither fires nor resolves', () => {
  scheduler().run(({ cold, expectObservable }) => {
    const src = cold('a b c d e|', { a: 95, b: -1, c: -1, d: -1, e: 95 });
    let t = 0;
    const out = src.pipe(
      map((v) => (v < 0 ? emptyMetrics((t += 1000)) : cpuAt((t += 1000), v))),
      compileRule(rule(), { clearTicks: 1 }),
      map((i) => i.status),
    );
    expectObservable(out).toBe('a - - - e|', { a: 'firing', e: 'firing' });
  });
});

test('source error is propagated and early unsubscribe tears down', () => {
  scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
    const src = cold('a-#', { a: 95 });
    let t = 0;
    const out = src.pipe(map((v) => cpuAt((t += 1000), v)), compileRule(rule()), map((i) => i.status));
    expectObservable(out).toBe('a-#', { a: 'firing' });
    const src2 = cold('a-b-c-d', { a: 95, b: 95, c: 95, d: 95 });
    let t2 = 0;
    const out2 = src2.pipe(map((v) => cpuAt((t2 += 1000), v)), compileRule(rule()), map((i) => i.status));
    expectObservable(out2, '^--!').toBe('a-b', { a: 'firing', b: 'firing' });
    expectSubscriptions(src2.subscriptions).toBe('^--!');
  });
});

test('disk_usage rules evaluate each mount separately and resolve a vanished mount', () => {
  const spec = compileMonitors([{ name: 'disk', type: 'disk_usage', threshold: 90, actions: ['alert_warning'] }]).rules[0]!;
  const disk = (ts: number, mounts: [string, number][]): Metrics => ({
    ...emptyMetrics(ts),
    disk: { mounts: mounts.map(([mountPoint, usagePercent]) => ({ mountPoint, usagePercent, device: 'sda', fsType: 'ext4', totalBytes: 100, usedBytes: usagePercent, availableBytes: 100 - usagePercent })) },
  });
  scheduler().run(({ cold, expectObservable }) => {
    const src = cold('a b|', {
      a: disk(1, [['/', 95], ['/data', 50]]),
      b: disk(2, [['/data', 50]]),
    });
    const out = src.pipe(compileRule(spec), map((i) => `${i.status}:${i.key}`));
    expectObservable(out).toBe('a b|', { a: 'firing:disk_usage|disk|/', b: 'resolved:disk_usage|disk|/' });
  });
});


test('the fused rule is the operators piped: sustainedFor → hysteresis give the same firing/resolved sequence', async () => {
  const { from, lastValueFrom, toArray } = await import('rxjs');
  const { sustainedFor } = await import('../../streams/sustainedFor.js');
  const { hysteresis } = await import('../../streams/hysteresis.js');
  // a pseudo-random walk across the threshold, with gaps in time (deterministic seed)
  let seed = 7;
  const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  let ts = 0;
  let v = 50;
  const values = Array.from({ length: 5000 }, () => ({ ts: (ts += 1000 + Math.floor(rnd() * 9000)), v: (v = Math.max(0, Math.min(100, v + Math.floor(rnd() * 21) - 10))) }));
  for (const duration of [0, 20_000]) {
    const spec = rule({ duration });
    const fused = await lastValueFrom(from(values.map((x) => cpuAt(x.ts, x.v))).pipe(compileRule(spec), map((i) => `${i.ts} ${i.status}`), toArray()));
    const held = (x: { ts: number; v: number }) => x.v > 80;
    const piped = await lastValueFrom(
      from(values).pipe(
        sustainedFor(duration, { isHeld: held, timeOf: (x) => x.ts }),
        hysteresis({ isFiring: (s) => s.sustained, isClear: (s) => !s.held, timeOf: (s) => s.value.ts, clearAfter: 3, repeat: true }),
        map((t) => `${t.value.value.ts} ${t.state}`),
        toArray(),
      ),
    );
    assert.ok(fused.filter((e) => e.endsWith('resolved')).length > 5, `duration ${duration}: the walk fires and resolves many times`);
    assert.deepEqual(fused, piped, `duration ${duration}`);
  }
});
