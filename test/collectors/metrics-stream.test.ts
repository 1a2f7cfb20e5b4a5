/**
 * The metrics stream: one snapshot per tick, real deltas across ticks, each collector
 * degrading alone (missing files quietly, errors loudly, timeouts and a still-running
 * read as `busy`), custom command metrics, teardown.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstValueFrom, lastValueFrom, take, tap, toArray } from 'rxjs';
import { createHost } from '../../src/host/host.js';
import { memoryLogger } from '../../src/log/logger.js';
import { metricsStream, defaultCollectorTimeoutMs } from '../../src/collectors/metrics-stream.js';
import { createCollectors } from '../../src/collectors/registry.js';
import { createCpuCollector } from '../../src/collectors/cpu.js';
import { createMemoryCollector } from '../../src/collectors/memory.js';
import type { AnyCollector } from '../../src/collectors/collector.js';
import type { Metrics } from '../../src/model/metrics.js';

const statText = (busy: number, idle: number) =>
  `cpu  ${busy} 0 0 ${idle} 0 0 0 0 0 0\ncpu0 ${busy} 0 0 ${idle} 0 0 0 0 0 0\nintr 0\nctxt 1\n`;
const meminfo = 'MemTotal: 8000000 kB\nMemFree: 500000 kB\nMemAvailable: 2000000 kB\nSwapTotal: 0 kB\nSwapFree: 0 kB\n';

const tempProc = (t: { after(fn: () => void): void }) => {
  const dir = mkdtempSync(join(tmpdir(), 'pm-stream-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
};

test('a proc root with only stat, meminfo, loadavg: cpu/memory/load present, the rest null and degraded quietly', async (t) => {
  const dir = tempProc(t);
  writeFileSync(join(dir, 'stat'), statText(1000, 1000));
  writeFileSync(join(dir, 'meminfo'), meminfo);
  writeFileSync(join(dir, 'loadavg'), '0.50 0.40 0.30 3/250 4242\n');
  const logger = memoryLogger();
  const snapshots = await lastValueFrom(
    metricsStream(createHost(dir), { intervalMs: 100, logger, collectors: createCollectors({ self: false }) }).pipe(
      // between ticks the CPU is 75% busy: 30 busy, 10 idle jiffies more
      tap(() => writeFileSync(join(dir, 'stat'), statText(1030, 1010))),
      take(3),
      toArray(),
    ),
  );
  const [first, second, third] = snapshots;
  assert.equal(first.cpu, null, 'first tick: baseline');
  assert.equal(first.degraded.cpu, undefined, 'a baseline is not a degradation');
  assert.equal(second.cpu?.usagePercent, 75);
  assert.equal(third.cpu?.usagePercent, 0, 'stat did not move between tick 2 and 3');
  for (const m of snapshots) {
    assert.equal(m.memory?.usagePercent, 75);
    assert.equal(m.load?.totalTasks, 250);
    for (const k of ['disk', 'diskIo', 'network', 'processes'] as const) {
      assert.equal(m[k], null, k);
      assert.match(m.degraded[k], /^no data: .* is missing$/, k);
    }
  }
  assert.ok(second.ts >= first.ts);
  const warnings = logger.lines.filter((l) => l.includes('WARN'));
  assert.equal(warnings.length, 4, `warned once per collector without data:\n${logger.lines.join('\n')}`);
  assert.equal(logger.lines.filter((l) => l.includes('ERROR')).length, 0);
});

test('a failing collector degrades alone, logged once while the error stays the same, recovery logged', async (t) => {
  const dir = tempProc(t);
  writeFileSync(join(dir, 'meminfo'), meminfo);
  let calls = 0;
  const flaky: AnyCollector = {
    name: 'load',
    read: async () => {
      calls++;
      if (calls <= 2) throw new Error('kaboom');
      return { load1: 1, load5: 1, load15: 1, runningTasks: 1, totalTasks: 1 };
    },
    derive: (_p: unknown, cur: never) => cur,
  };
  const logger = memoryLogger();
  const ms = await lastValueFrom(
    metricsStream(createHost(dir), { intervalMs: 50, logger, collectors: [createMemoryCollector(), flaky] }).pipe(take(3), toArray()),
  );
  assert.deepEqual(ms.map((m) => m.degraded.load), ['kaboom', 'kaboom', undefined]);
  assert.deepEqual(ms.map((m) => m.load?.load1 ?? null), [null, null, 1]);
  assert.ok(ms.every((m) => m.memory !== null));
  assert.equal(logger.lines.filter((l) => /ERROR .*collector load failed.*kaboom/.test(l)).length, 1);
  assert.equal(logger.lines.filter((l) => /collector load recovered/.test(l)).length, 1);
});

test('a collector slower than its timeout: null + timeout, then busy while still running; one snapshot per tick', async (t) => {
  const dir = tempProc(t);
  writeFileSync(join(dir, 'meminfo'), meminfo);
  let started = 0;
  let release!: () => void;
  const slow: AnyCollector = {
    name: 'disk',
    // the first read hangs until released; later ones answer at once
    read: () => {
      started++;
      if (started > 1) return Promise.resolve({ mounts: [] });
      return new Promise((resolve) => {
        release = () => resolve({ mounts: [] });
      });
    },
    derive: (_p: unknown, cur: never) => cur,
  };
  const logger = memoryLogger();
  const t0 = Date.now();
  const ms = await lastValueFrom(
    metricsStream(createHost(dir), { intervalMs: 100, timeoutMs: 30, logger, collectors: [createMemoryCollector(), slow] }).pipe(
      take(3),
      tap((m) => {
        if (m.degraded.disk?.startsWith('busy')) release();
      }),
      toArray(),
    ),
  );
  assert.ok(Date.now() - t0 < 1000);
  assert.deepEqual(
    ms.map((m) => m.degraded.disk?.split(':')[0]),
    ['timeout', 'busy', undefined],
  );
  assert.deepEqual(ms[2].disk, { mounts: [] });
  assert.equal(started, 2, 'never two reads at once: tick 2 did not start another');
  assert.ok(ms.every((m) => m.memory !== null), 'the others go on');
  assert.equal(logger.lines.filter((l) => /collector disk timed out/.test(l)).length, 1);
});

test('rates are deltas between successful readings; a failed tick in between stretches the interval', async (t) => {
  const dir = tempProc(t);
  writeFileSync(join(dir, 'stat'), statText(0, 100));
  const logger = memoryLogger();
  let tick = 0;
  const ms = await lastValueFrom(
    metricsStream(createHost(dir), { intervalMs: 60, logger, collectors: [createCpuCollector()] }).pipe(
      tap(() => {
        tick++;
        // tick 1 → broken file at tick 2 → busy 50 idle 50 at tick 3, measured against tick 1
        if (tick === 1) writeFileSync(join(dir, 'stat'), 'garbage\n');
        if (tick === 2) writeFileSync(join(dir, 'stat'), statText(50, 150));
      }),
      take(3),
      toArray(),
    ),
  );
  assert.equal(ms[0].cpu, null);
  assert.match(ms[1].degraded.cpu, /no aggregate "cpu " line/);
  assert.equal(ms[2].cpu?.usagePercent, 50);
});

test('a collector with minReadIntervalMs is read every n-th tick, its sample repeated between; a failure reads again next tick', async (t) => {
  const dir = tempProc(t);
  const logger = memoryLogger();
  const reads: number[] = [];
  const elapsed: number[] = [];
  let tick = 0;
  // A stand-in process collector: counts its reads, fails on the second, derives the read number.
  const counting = {
    name: 'processes' as const,
    minReadIntervalMs: 90, // 3 ticks of 30 ms
    read: async () => {
      reads.push(tick);
      if (reads.length === 2) throw new Error('transient');
      return reads.length;
    },
    derive: (_prev: number | undefined, cur: number, ms: number) => {
      elapsed.push(ms);
      return { count: cur, topByCpu: [], topByMemory: [] };
    },
  };
  const ms = await lastValueFrom(
    metricsStream(createHost(dir), { intervalMs: 30, logger, collectors: [counting] }).pipe(
      tap(() => tick++),
      take(8),
      toArray(),
    ),
  );
  // read at tick 0; repeated at 1, 2; read at 3 (fails); read again at 4; repeated 5, 6; read at 7
  assert.deepEqual(reads, [0, 3, 4, 7]);
  assert.deepEqual(ms.map((m) => m.processes?.count ?? null), [1, 1, 1, null, 3, 3, 3, 4]);
  assert.match(ms[3]!.degraded.processes!, /transient/);
  // The delta behind a read spans back to the previous reading actually taken (4 ticks, then 3;
  // bounds loose enough for a late timer on a loaded machine).
  assert.ok(elapsed[1]! >= 60 && elapsed[2]! >= 45, `elapsed ${elapsed.join(",")}`);
});

test('the processes collector reads its table every 15 s by default; the registry passes processTableIntervalMs', () => {
  const byDefault = createCollectors().find((c) => c.name === 'processes')!;
  assert.equal(byDefault.minReadIntervalMs, 15_000);
  assert.equal(createCollectors({}, { processTableIntervalMs: 0 }).find((c) => c.name === 'processes')!.minReadIntervalMs, 0);
});

test('custom metrics: number and JSON outputs, failures absent and logged, cache_ttl honoured', async (t) => {
  const dir = tempProc(t);
  const counter = join(dir, 'runs');
  writeFileSync(counter, '');
  const logger = memoryLogger();
  const ms = await lastValueFrom(
    metricsStream(createHost(dir), {
      intervalMs: 80,
      logger,
      collectors: [],
      custom: {
        queue_depth: { command: 'echo 42', timeout: 2000, cache_ttl: 0, output_format: 'number' },
        json_value: { command: `echo '{"value": 3.5}'`, timeout: 2000, cache_ttl: 0, output_format: 'json' },
        cached: { command: `echo x >> '${counter}'; echo 7`, timeout: 2000, cache_ttl: 60_000, output_format: 'number' },
        exits: { command: 'echo oops >&2; exit 3', timeout: 2000, cache_ttl: 0, output_format: 'number' },
        garbage: { command: 'echo not-a-number', timeout: 2000, cache_ttl: 0, output_format: 'number' },
      },
    }).pipe(take(3), toArray()),
  );
  for (const m of ms) assert.deepEqual(m.custom, { queue_depth: 42, json_value: 3.5, cached: 7 });
  assert.equal(readFileSync(counter, 'utf8'), 'x\n', 'the cached command ran once in three ticks');
  assert.equal(logger.lines.filter((l) => /custom metric exits failed.*exit code 3: oops/.test(l)).length, 1);
  assert.equal(logger.lines.filter((l) => /custom metric garbage failed.*not-a-number/.test(l)).length, 1);
});

test('custom metrics: a command past its timeout is killed and absent', async (t) => {
  const dir = tempProc(t);
  const logger = memoryLogger();
  const m = await firstValueFrom(
    metricsStream(createHost(dir), {
      intervalMs: 1000,
      logger,
      collectors: [],
      custom: { hangs: { command: 'exec sleep 5', timeout: 100, cache_ttl: 0, output_format: 'number' } },
    }),
  );
  assert.deepEqual(m.custom, {});
  assert.equal(logger.lines.filter((l) => /custom metric hangs failed.*killed by SIGTERM/.test(l)).length, 1);
});

test('shared: subscribers see the same snapshots; unsubscribing closes the collectors', async (t) => {
  const dir = tempProc(t);
  writeFileSync(join(dir, 'meminfo'), meminfo);
  let closed = 0;
  const mem = createMemoryCollector();
  const spy: AnyCollector = { ...mem, close: () => void closed++ };
  const m$ = metricsStream(createHost(dir), { intervalMs: 50, logger: memoryLogger(), collectors: [spy] });
  const a: Metrics[] = [];
  const sub = m$.subscribe((m) => a.push(m));
  const b = await lastValueFrom(m$.pipe(take(2), toArray()));
  sub.unsubscribe();
  assert.ok(b.every((m) => a.includes(m)), 'the same snapshot objects');
  assert.equal(closed, 1);
});

test('default timeout leaves a fifth of the interval, at most 2 s', () => {
  assert.equal(defaultCollectorTimeoutMs(1000), 800);
  assert.equal(defaultCollectorTimeoutMs(5000), 2000);
});
