/**
 * The metrics watchdog in virtual time: silence for `staleMs` raises a critical
 * self-incident (again every `staleMs` while it lasts), the next snapshot resolves it,
 * a stream that completes or errors counts as silence, and unsubscribing tears the
 * alarm down.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestScheduler } from 'rxjs/testing';
import { map } from 'rxjs';
import { metricsStalled } from '../../src/rules/metrics-stalled.js';
import { emptyMetrics } from '../../src/model/metrics.js';
import { trackingScheduler } from '../../streams/testing/trackingScheduler.js';

const scheduler = () => new TestScheduler((actual, expected) => assert.deepEqual(actual, expected));
const m = emptyMetrics(0);
const summary = map((i: { status: string; severity: string; metadata: { currentValue: number } }) => `${i.status} ${i.severity} ${i.metadata.currentValue}`);

test('metricsStalled: ticking is quiet; silence fires every staleMs; the next tick resolves', () => {
  scheduler().run(({ hot, expectObservable }) => {
    const source = hot('a 4999ms b 4999ms c 34999ms d 4999ms e', { a: m, b: m, c: m, d: m, e: m });
    const stalls = source.pipe(metricsStalled({ intervalMs: 5000, staleMs: 15_000 }), summary);
    expectObservable(stalls, '^ 60s !').toBe('25s f 14999ms g 4999ms r', {
      f: 'firing critical 15',
      g: 'firing critical 30',
      r: 'resolved critical 35',
    });
  });
});

test('metricsStalled: a stream that completes or dies is a stall, not an end', () => {
  scheduler().run(({ cold, expectObservable }) => {
    expectObservable(cold('a 4999ms |', { a: m }).pipe(metricsStalled({ intervalMs: 5000 }), summary), '^ 20s !').toBe('15s f', { f: 'firing critical 15' });
    expectObservable(cold('a 999ms #', { a: m }).pipe(metricsStalled({ intervalMs: 1000, staleMs: 2000 }), summary), '^ 5s !').toBe('2s f 1999ms g', {
      f: 'firing critical 2',
      g: 'firing critical 4',
    });
  });
});

test('metricsStalled: unsubscribing tears the alarm down', () => {
  const ts = scheduler();
  ts.run(({ cold, flush }) => {
    const tracking = trackingScheduler(ts);
    const sub = cold('a', { a: m }).pipe(metricsStalled({ intervalMs: 1000, scheduler: tracking })).subscribe();
    ts.schedule(() => sub.unsubscribe(), 500);
    flush();
    assert.equal(tracking.pending(), 0);
  });
});

test('metricsStalled: at a short interval the silence must still last 10 s', () => {
  scheduler().run(({ cold, expectObservable }) => {
    expectObservable(cold('a 1s |', { a: m }).pipe(metricsStalled({ intervalMs: 200 }), summary), '^ 15s !').toBe('10s f', { f: 'firing critical 10' });
  });
});
