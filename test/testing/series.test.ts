/**
 * The inputs of rule tests: promtool's series notation, metric marbles, metric paths
 * into a snapshot. (Bans are the ban manager's own: rule-pipeline.test.ts.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMarbleSteps, parseSeries, sampleSteps } from '../../src/testing/series.js';
import { buildSnapshot, parseMetricPath, type MetricPath } from '../../src/testing/metric-paths.js';

test('series notation: values, repeats, runs up and down, gaps', () => {
  assert.deepEqual(parseSeries('50 95x3 40'), [50, 95, 95, 95, 95, 40]);
  assert.deepEqual(parseSeries('1+2x3 10-1.5x2'), [1, 3, 5, 7, 10, 8.5, 7]);
  assert.deepEqual(parseSeries(' _ 5 _x2 -3 '), [null, 5, null, null, -3]);
  assert.deepEqual(parseSeries('7x0'), [7]);
  assert.match(parseSeries('50 high') as string, /"high" is not a series item/);
  assert.match(parseSeries('') as string, /empty/);
  assert.match(parseSeries('1x999999') as string, /more than 100000 values/);
});

test('metric marbles: values at their frames, each tick sees the latest', () => {
  const steps = parseMarbleSteps('a 29s b 9s c', { a: 50, b: 95, c: 40 });
  assert.deepEqual(steps, [
    { at: 0, value: 50 },
    { at: 29_001, value: 95 }, // as in TestScheduler.run: a character is a frame
    { at: 38_002, value: 40 },
  ]);
  assert.deepEqual(sampleSteps(steps as { at: number; value: number }[], 10_000, 6), [50, 50, 50, 95, 40, 40]);
  assert.deepEqual(sampleSteps([{ at: 5000, value: 1 }], 5000, 2), [null, 1]);
  assert.match(parseMarbleSteps('a|', { a: 1 }) as string, /"\|" has no meaning/);
  assert.match(parseMarbleSteps('a b', { a: 1 }) as string, /"b" has no value in values/);
  assert.match(parseMarbleSteps('a', { a: 'x' }) as string, /the value of "a" is not a number, got "x"/);
});

test('metric paths write the snapshot; absent sections stay null; a gap degrades the section', () => {
  const path = (p: string) => parseMetricPath(p) as MetricPath;
  const m = buildSnapshot(5000, [
    { path: path('memory.usagePercent'), value: 50 },
    { path: path('memory.swapUsagePercent'), value: 25 },
    { path: path('disk.mounts[/var].usagePercent'), value: 91 },
    { path: path('network.establishedPerRemoteIp[203.0.113.7]'), value: 60 },
    { path: path('custom.queue_depth'), value: 12 },
    { path: path('load.load1'), value: null },
  ]);
  assert.equal(m.ts, 5000);
  assert.equal(m.cpu, null);
  assert.equal(m.memory!.usedBytes, m.memory!.totalBytes / 2);
  assert.ok(m.memory!.swapTotalBytes > 0, 'a swap percentage implies swap exists');
  assert.equal(m.memory!.swapUsedBytes, m.memory!.swapTotalBytes / 4);
  assert.deepEqual(m.disk!.mounts.map((x) => [x.mountPoint, x.usagePercent]), [['/var', 91]]);
  assert.equal(m.network!.establishedPerRemoteIp['203.0.113.7'], 60);
  assert.equal(m.custom.queue_depth, 12);
  assert.equal(m.load, null);
  assert.match(m.degraded.load!, /no sample/);
  assert.match(parseMetricPath('cpu.usage') as string, /cpu has no numeric field usage/);
  assert.match(parseMetricPath('gpu.usagePercent') as string, /no section gpu/);
  assert.match(parseMetricPath('cpu.perCore') as string, /no numeric field perCore/);
  assert.match(parseMetricPath('disk.mounts[/]') as string, /has no field \(none given\)/);
});
