/**
 * The metrics stream on real timers and real files: missing files degrade quietly, real
 * deltas across reads (a failed read stretches the interval), the config's cadences reach
 * the collectors, custom command metrics, sharing and teardown. Cadences, timeouts,
 * failures and staleness in virtual time: metrics-stream.marble.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { distinctUntilChanged, firstValueFrom, lastValueFrom, take, tap, toArray, type MonoTypeOperatorFunction } from 'rxjs';
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

/**
 * One snapshot per read of `key`: collectors here read every 200 ms and snapshots come
 * every 20 ms, so each reading is seen (and a file written after it is read next) however
 * loaded the machine; the reading's time is the snapshot's minus the field's age.
 */
const perReading =
  (key: string): MonoTypeOperatorFunction<Metrics> =>
  (source) =>
    source.pipe(distinctUntilChanged((a, b) => a.ts - a.ages![key]! === b.ts - b.ages![key]!));
const every200ms = <C extends AnyCollector>(c: C): C => ({ ...c, intervalMs: 200 });

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
    metricsStream(createHost(dir), { intervalMs: 20, logger, collectors: createCollectors({ self: { enabled: false } }).map(every200ms) }).pipe(
      perReading('cpu'),
      // between reads the CPU is 75% busy: 30 busy, 10 idle jiffies more
      tap(() => writeFileSync(join(dir, 'stat'), statText(1030, 1010))),
      take(3),
      toArray(),
    ),
  );
  const [first, second, third] = snapshots;
  assert.equal(first.cpu, null, 'first tick: baseline');
  assert.equal(first.degraded.cpu, undefined, 'a baseline is not a degradation');
  assert.equal(second.cpu?.usagePercent, 75);
  assert.equal(third.cpu?.usagePercent, 0, 'stat did not move between read 2 and 3');
  for (const m of snapshots) {
    assert.equal(m.memory?.usagePercent, 75);
    assert.equal(m.load?.totalTasks, 250);
    for (const k of ['pressure', 'disk', 'diskIo', 'network', 'processes'] as const) {
      assert.equal(m[k], null, k);
      assert.match(m.degraded[k], /^no data: .* is missing$/, k);
    }
  }
  assert.ok(second.ts >= first.ts);
  const warnings = logger.lines.filter((l) => l.includes('WARN'));
  assert.equal(warnings.length, 5, `warned once per collector without data:\n${logger.lines.join('\n')}`);
  assert.equal(logger.lines.filter((l) => l.includes('ERROR')).length, 0);
});

test('rates are deltas between successful readings; a failed tick in between stretches the interval', async (t) => {
  const dir = tempProc(t);
  writeFileSync(join(dir, 'stat'), statText(0, 100));
  const logger = memoryLogger();
  let tick = 0;
  const ms = await lastValueFrom(
    metricsStream(createHost(dir), { intervalMs: 20, logger, collectors: [every200ms(createCpuCollector())] }).pipe(
      perReading('cpu'),
      tap(() => {
        tick++;
        // read 1 → broken file at read 2 → busy 50 idle 50 at read 3, measured against read 1
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

test('collectors: intervals and enabled reach the collectors; defaults: processes and sockets 15 s, disk 60 s, the rest every check_interval', () => {
  const byName = (cs: AnyCollector[]) => Object.fromEntries(cs.map((c) => [c.name, c]));
  const d = byName(createCollectors());
  assert.equal(d.processes!.intervalMs, 15_000);
  assert.equal(d.disk!.intervalMs, 60_000);
  assert.equal(d.network!.part?.intervalMs, 15_000);
  for (const k of ['cpu', 'memory', 'load', 'diskIo', 'network', 'self'] as const) assert.equal(d[k]!.intervalMs, undefined, k);
  const c = byName(createCollectors({ cpu: { interval: 2000 }, disk_io: { interval: 7000 }, processes: { interval: 30_000 }, self: { enabled: false } }));
  assert.equal(c.cpu!.intervalMs, 2000);
  assert.equal(c.diskIo!.intervalMs, 7000);
  assert.equal(c.processes!.intervalMs, 30_000);
  assert.equal(c.self, undefined);
});

test('custom metrics: number and JSON outputs, failures absent and logged, cache_ttl honoured', async (t) => {
  const dir = tempProc(t);
  const counter = join(dir, 'runs');
  writeFileSync(counter, '');
  const logger = memoryLogger();
  const ms = await lastValueFrom(
    metricsStream(createHost(dir), {
      // a tick's budget (800 ms) for the first answers, however loaded the machine
      intervalMs: 1000,
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
  assert.match(ms[2]!.degraded['custom.exits']!, /exit code 3: oops/);
  assert.equal(ms[2]!.degraded['custom.queue_depth'], undefined);
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
  assert.match(m.degraded['custom.hangs']!, /killed at its timeout \(100 ms\)/);
  assert.equal(logger.lines.filter((l) => /custom metric hangs failed.*killed at its timeout/.test(l)).length, 1);
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
