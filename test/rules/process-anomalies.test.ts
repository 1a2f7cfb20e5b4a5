/**
 * The stateful process measures in virtual time: snapshots come every check_interval
 * while the process table is read less often, so a snapshot repeats the latest read —
 * and a repeated read is not a new sample (else an RSS rising at every read would look
 * flat between reads, and no leak would ever be found).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { compileMonitors } from '../../src/rules/compile-monitors.js';
import { compileRule } from '../../src/rules/compile-rule.js';
import { emptyMetrics, type Metrics, type ProcessSample } from '../../src/model/metrics.js';

const MB = 1048576;
const read = (rssMb: number): ProcessSample => ({
  count: 1,
  topByCpu: [],
  topByMemory: [{ pid: 42, ppid: 1, name: 'leaky', uid: 0, state: 'R', cpuPercent: 1, rssBytes: rssMb * MB }],
  zombieCount: 0,
  zombieParents: [],
  trees: [],
});
/** a snapshot at `ts` holding `p`, read `age` ms before */
const snap = (ts: number, p: ProcessSample | null, age = 0): Metrics => ({ ...emptyMetrics(ts), processes: p, ages: { processes: age } });

const leakRule = () => compileRule(compileMonitors([{ name: 'Leak', type: 'memory_leak', threshold: 10, samples: 3, actions: [] }]).rules[0]!);

test('memory_leak: three reads 15 s apart, each repeated by three 5 s snapshots, are three samples (fires on the third read)', () => {
  new TestScheduler((a, e) => assert.deepEqual(a, e)).run(({ cold, expectObservable }) => {
    const [r1, r2, r3] = [read(100), read(110), read(120)];
    // snapshots every 5 s; a read every 15 s, each held by the snapshots until the next
    const values = {
      a: snap(0, r1), b: snap(5_000, r1, 5_000), c: snap(10_000, r1, 10_000),
      d: snap(15_000, r2), e: snap(20_000, r2, 5_000), f: snap(25_000, r2, 10_000),
      g: snap(30_000, r3), h: snap(35_000, r3, 5_000),
    };
    const out = cold('abcdefgh|', values).pipe(leakRule(), map((i) => `${i.status} ${i.metadata.currentValue}`));
    // 20 MB over the 30 s between the first and third reads: 40 MB/min; firing again on the repeated read
    expectObservable(out).toBe('------fg|', { f: 'firing 40', g: 'firing 40' });
  });
});

test('memory_leak: a degraded processes field neither fires nor resolves, and does not break the rise', () => {
  new TestScheduler((a, e) => assert.deepEqual(a, e)).run(({ cold, expectObservable }) => {
    const values = { a: snap(0, read(100)), b: snap(15_000, null), c: snap(30_000, read(115)), d: snap(45_000, read(130)), e: snap(60_000, null) };
    const out = cold('abcde|', values).pipe(leakRule(), map((i) => `${i.status} ${i.metadata.currentValue}`));
    expectObservable(out).toBe('---d-|', { d: 'firing 40' });
  });
});

test('process_growth: a hand-built sample without trees has no subjects (the rule stays quiet)', () => {
  new TestScheduler((a, e) => assert.deepEqual(a, e)).run(({ cold, expectObservable }) => {
    const bare = (count: number): ProcessSample => ({ count, topByCpu: [], topByMemory: [] });
    const rule = compileRule(compileMonitors([{ name: 'Bomb', type: 'process_growth', threshold: 1, actions: [] }]).rules[0]!);
    expectObservable(cold('ab|', { a: snap(0, bare(10)), b: snap(1_000, bare(5_000)) }).pipe(rule)).toBe('--|');
  });
});
