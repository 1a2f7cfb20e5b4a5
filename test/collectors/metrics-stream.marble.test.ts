/**
 * The metrics stream in virtual time: fake collectors whose reads are cold observables,
 * the whole stream (per-collector cadences, combineLatest, one snapshot per
 * check_interval, ages, timeouts, staleness) under TestScheduler.run. Each snapshot is
 * summarised as a short string so the marbles stay readable.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { map, NEVER, of, take, throwError, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { metricsStream } from '../../src/collectors/metrics-stream.js';
import type { AnyCollector } from '../../src/collectors/collector.js';
import type { Host } from '../../src/host/host.js';
import { memoryLogger } from '../../src/log/logger.js';
import type { MetricKey, Metrics } from '../../src/model/metrics.js';
import { compileRule } from '../../src/rules/compile-rule.js';
import { measureFor } from '../../src/rules/monitor-selectors.js';
import { compileMonitors } from '../../src/rules/compile-monitors.js';
import { selfCheckRules } from '../../src/rules/self-check-rules.js';

const testScheduler = () => new TestScheduler((actual, expected) => assert.deepEqual(actual, expected));

/** A collector whose n-th read answers with `reads(n)`; its sample is the value read. */
const fake = (name: MetricKey, intervalMs: number | undefined, reads: (n: number) => Observable<unknown>): AnyCollector & { calls: number } => {
  const c = {
    name,
    intervalMs,
    calls: 0,
    read: () => reads(c.calls++),
    derive: (_prev: unknown, cur: unknown) => cur,
  };
  return c as unknown as AnyCollector & { calls: number };
};

/** The fake collectors never touch the host: only the monotonic clock for rates. */
const hostOn = (scheduler: TestScheduler) => ({ monotonicMs: () => scheduler.now() }) as unknown as Host;

/** `cpu=3@0 disk=!timeout@1300`: each field's value (or `!reason`) and age. */
const summary =
  (...keys: MetricKey[]) =>
  (m: Metrics): string =>
    keys
      .map((k) => {
        const v = m[k] === null ? (m.degraded[k] ? `!${m.degraded[k]!.split(':')[0]}` : '-') : JSON.stringify(m[k]);
        return `${k}=${v}@${m.ages?.[k]}`;
      })
      .join(' ');

test('each collector on its own cadence; one snapshot per check_interval with the latest of each and its age', () => {
  const scheduler = testScheduler();
  scheduler.run(({ cold, expectObservable, expectSubscriptions, flush }) => {
    const cpuRead = cold('a|', { a: 'c' });
    const diskRead = cold('200ms a|', { a: 'd' });
    let n = 0;
    const cpu = fake('cpu', undefined, () => cpuRead.pipe(map((v) => `${v}${n++}`)));
    const disk = fake('disk', 2500, () => diskRead);
    const m$ = metricsStream(hostOn(scheduler), { intervalMs: 1000, collectors: [cpu, disk], logger: memoryLogger(), scheduler });
    // the first snapshot waits for every collector's first answer (disk at 200 ms), then one per second
    expectObservable(m$.pipe(map(summary('cpu', 'disk'))), '^ 4500ms !').toBe('200ms a 999ms b 999ms c 999ms d 999ms e', {
      a: 'cpu="c0"@200 disk="d"@200',
      b: 'cpu="c1"@200 disk="d"@1200',
      c: 'cpu="c2"@200 disk="d"@2200',
      // disk read again at 2.5 s, answered at 2.7 s
      d: 'cpu="c3"@200 disk="d"@700',
      e: 'cpu="c4"@200 disk="d"@1700',
    });
    // disk is read every 2.5 s; a read ends at its answer
    expectSubscriptions(diskRead.subscriptions).toBe(['^ 199ms !', '2500ms ^ 199ms !']);
    flush();
    assert.equal(cpu.calls, 5, 'cpu: one read per second (0 .. 4 s)');
    assert.equal(disk.calls, 2);
  });
});

test('a collector with a part: the part on its own cadence, each read handed its latest result; a failing part degrades the collector', () => {
  const scheduler = testScheduler();
  scheduler.run(({ expectObservable, flush }) => {
    let tables = 0;
    const network = {
      name: 'network',
      // the part (socket tables) every 3 s; its third read fails
      part: { name: 'sockets', intervalMs: 3000, read: () => (++tables === 3 ? throwError(() => new Error('net/tcp: garbage')) : of(`T${tables}`)) },
      read: (_host: Host, table: string) => of(table),
      derive: (_prev: unknown, cur: unknown) => cur,
    } as unknown as AnyCollector;
    const m$ = metricsStream(hostOn(scheduler), { intervalMs: 1000, collectors: [network], logger: memoryLogger(), scheduler });
    expectObservable(m$.pipe(map(summary('network'))), '^ 7500ms !').toBe('a 999ms b 999ms c 999ms d 999ms e 999ms f 999ms g 999ms h', {
      a: 'network="T1"@0',
      b: 'network="T1"@0',
      c: 'network="T1"@0',
      d: 'network="T2"@0',
      e: 'network="T2"@0',
      f: 'network="T2"@0',
      g: 'network=!net/tcp@0',
      h: 'network=!net/tcp@0',
    });
    flush();
    assert.equal(tables, 3, 'the part read at 0, 3 and 6 s only');
  });
});

test('a read slower than its timeout: `timeout` at the deadline, no second read beside it, its late answer replaces it; the others go on', () => {
  const scheduler = testScheduler();
  scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
    const slow = cold('1200ms a|', { a: 'late' });
    const disk = fake('disk', undefined, (n) => (n === 0 ? slow : of(`r${n}`)));
    const cpu = fake('cpu', undefined, (n) => of(n));
    const logger = memoryLogger();
    const m$ = metricsStream(hostOn(scheduler), { intervalMs: 1000, timeoutMs: 300, collectors: [cpu, disk], logger, scheduler });
    expectObservable(m$.pipe(map(summary('cpu', 'disk'))), '^ 3500ms !').toBe('300ms a 999ms b 999ms c 999ms d', {
      a: 'cpu=0@300 disk=!timeout@300',
      // the read answered at 1.2 s: its value, aged from when it began
      b: 'cpu=1@300 disk="late"@1300',
      // the 1 s tick came while it ran and was dropped; the 2 s one read again
      c: 'cpu=2@300 disk="r1"@300',
      d: 'cpu=3@300 disk="r2"@300',
    });
    expectSubscriptions(slow.subscriptions).toBe('^ 1199ms !');
    scheduler.flush();
    assert.equal(logger.lines.filter((l) => /WARN.*collector disk timed out/.test(l)).length, 1);
    assert.equal(logger.lines.filter((l) => /collector disk recovered/.test(l)).length, 1);
  });
});

test('a read that hangs for good: `timeout` on every snapshot (the stuck-collector self-check sees it), one read only', () => {
  const scheduler = testScheduler();
  scheduler.run(({ expectObservable, flush }) => {
    const disk = fake('disk', undefined, () => NEVER);
    const cpu = fake('cpu', undefined, (n) => of(n));
    const m$ = metricsStream(hostOn(scheduler), { intervalMs: 1000, timeoutMs: 300, collectors: [cpu, disk], logger: memoryLogger(), scheduler });
    // well past the stale age (2 intervals + 1): the reason stays `timeout`, not `stale`
    expectObservable(m$.pipe(map(summary('disk'))), '^ 5500ms !').toBe('300ms a 999ms b 999ms c 999ms d 999ms e 999ms f', {
      a: 'disk=!timeout@300',
      b: 'disk=!timeout@1300',
      c: 'disk=!timeout@2300',
      d: 'disk=!timeout@3300',
      e: 'disk=!timeout@4300',
      f: 'disk=!timeout@5300',
    });
    flush();
    assert.equal(disk.calls, 1, 'never a second read beside the hung one');
  });
});

test('the stuck-collector self-check fires on a hung read: `timeout` held 10 s', () => {
  const scheduler = testScheduler();
  scheduler.run(({ expectObservable }) => {
    const disk = fake('disk', undefined, () => NEVER);
    const cpu = fake('cpu', undefined, (n) => of(n));
    const m$ = metricsStream(hostOn(scheduler), { intervalMs: 1000, timeoutMs: 300, collectors: [cpu, disk], logger: memoryLogger(), scheduler });
    const stuck = selfCheckRules({ cpu_limit: 5, memory_limit_mb: 120, check_interval: 1000 }).find((r) => r.monitorType === 'self_check:collector')!;
    // timed out from the first snapshot (0.3 s); held 10 s (at least 3 ticks, at least 10 s): the first incident
    expectObservable(m$.pipe(compileRule(stuck), take(1), map((i) => `${i.status} ${i.description}`)), '^ 12000ms !').toBe('10300ms (a|)', {
      a: `firing ${stuck.describe(1, 'disk')}`,
    });
  });
});

test('a failing collector degrades alone: logged once while the error stays the same, recovery logged', () => {
  const scheduler = testScheduler();
  scheduler.run(({ expectObservable, flush }) => {
    const load = fake('load', undefined, (n) => (n < 2 ? throwError(() => new Error('kaboom')) : of(n)));
    const memory = fake('memory', undefined, (n) => of(n));
    const logger = memoryLogger();
    const m$ = metricsStream(hostOn(scheduler), { intervalMs: 1000, collectors: [memory, load], logger, scheduler });
    expectObservable(m$.pipe(map(summary('memory', 'load'))), '^ 2500ms !').toBe('a 999ms b 999ms c', {
      a: 'memory=0@0 load=!kaboom@0',
      b: 'memory=1@0 load=!kaboom@0',
      c: 'memory=2@0 load=2@0',
    });
    flush();
    assert.equal(logger.lines.filter((l) => /ERROR .*collector load failed.*kaboom/.test(l)).length, 1);
    assert.equal(logger.lines.filter((l) => /collector load recovered/.test(l)).length, 1);
  });
});

/** cpu answers 95 % once, then its reads hang; the timeout (10 s) is beyond the stale age (3 s). */
const cpuThenSilence = (scheduler: TestScheduler) =>
  metricsStream(hostOn(scheduler), {
    intervalMs: 1000,
    timeoutMs: 10_000,
    collectors: [fake('cpu', undefined, (n) => (n === 0 ? of({ usagePercent: 95, perCore: [], iowaitPercent: 0, stealPercent: 0 }) : NEVER))],
    logger: memoryLogger(),
    scheduler,
  });

test('a field older than 2 intervals + a check_interval is stale: null, with its age, and `stale` in degraded', () => {
  const scheduler = testScheduler();
  scheduler.run(({ expectObservable }) => {
    expectObservable(
      cpuThenSilence(scheduler).pipe(map((m) => `${m.cpu?.usagePercent ?? m.degraded.cpu}@${m.ages?.cpu}`)),
      '^ 5500ms !',
    ).toBe('a 999ms b 999ms c 999ms d 999ms e 999ms f', {
      a: '95@0',
      b: '95@1000',
      c: '95@2000',
      d: '95@3000',
      e: 'stale: last read 4 s ago, expected within 3 s@4000',
      f: 'stale: last read 5 s ago, expected within 3 s@5000',
    });
  });
});

test('a rule over a stale field neither fires nor resolves: CPU > 90 % held 3.5 s stays quiet on a 95 % read 4 s ago', () => {
  const scheduler = testScheduler();
  scheduler.run(({ expectObservable }) => {
    const cpuRule = compileRule({
      name: 'CPU high',
      monitorType: 'cpu_usage',
      severity: 'critical',
      actions: [],
      threshold: 90,
      comparison: 'above',
      inclusive: false,
      durationMs: 3500,
      select: measureFor('cpu_usage')!.select!,
      describe: (v) => `CPU ${v}%`,
    });
    // on the stale 95 % it would fire at 4 s
    expectObservable(cpuThenSilence(scheduler).pipe(cpuRule, map((i) => i.status)), '^ 5500ms !').toBe('');
  });
});

test('each field carries its sampling window: from the previous successful read\'s start to its own; a failed read lengthens the next', () => {
  const scheduler = testScheduler();
  scheduler.run(({ expectObservable }) => {
    const cpu = fake('cpu', undefined, (n) => (n === 1 ? throwError(() => new Error('boom')) : of(n)));
    const m$ = metricsStream(hostOn(scheduler), { intervalMs: 1000, collectors: [cpu], logger: memoryLogger(), scheduler });
    expectObservable(m$.pipe(map((m) => `${m.cpu ?? m.degraded.cpu} over ${m.windows?.cpu}`)), '^ 3500ms !').toBe('a 999ms b 999ms c 999ms d', {
      a: '0 over undefined', // the first read: nothing before it
      b: 'boom over undefined',
      c: '2 over 2000', // its delta is since the read at 0 s
      d: '3 over 1000',
    });
  });
});

test('duration 5 s at check_interval 5 s: a cpu_usage rule fires at the first snapshot whose CPU % averages 5 busy seconds; a memory rule a check later', () => {
  const scheduler = testScheduler();
  scheduler.run(({ expectObservable }) => {
    // busy (95 %) from 0 s on: the CPU read at 5 s averages 0–5 s; memory full as read at 5 s
    const cpu = fake('cpu', undefined, (n) => of({ usagePercent: n === 0 ? 10 : 95 }));
    const memory = fake('memory', undefined, (n) => of({ usagePercent: n === 0 ? 10 : 95 }));
    const m$ = metricsStream(hostOn(scheduler), { intervalMs: 5000, collectors: [cpu, memory], logger: memoryLogger(), scheduler });
    const monitor = (type: string) => ({ name: type, type, threshold: 80, duration: 5000, actions: [] });
    const [cpuRule, memoryRule] = compileMonitors([monitor('cpu_usage'), monitor('memory_usage')]).rules;
    expectObservable(m$.pipe(compileRule(cpuRule!), take(1), map((i) => i.ts)), '^ 12000ms !').toBe('5000ms (a|)', { a: 5000 });
    expectObservable(m$.pipe(compileRule(memoryRule!), take(1), map((i) => i.ts)), '^ 12000ms !').toBe('10000ms (a|)', { a: 10_000 });
  });
});

test('custom metrics and an empty collector list: one snapshot per check_interval all the same', () => {
  const scheduler = testScheduler();
  scheduler.run(({ expectObservable }) => {
    const m$ = metricsStream(hostOn(scheduler), { intervalMs: 1000, collectors: [], logger: memoryLogger(), scheduler });
    expectObservable(m$.pipe(map((m) => m.ts)), '^ 2500ms !').toBe('a 999ms b 999ms c', { a: 0, b: 1000, c: 2000 });
  });
});
