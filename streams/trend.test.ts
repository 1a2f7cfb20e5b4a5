import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestScheduler } from 'rxjs/testing';
import { trend } from './trend.js';
import { trackingScheduler } from './testing/trackingScheduler.js';

const scheduler = () => new TestScheduler((actual, expected) => assert.deepEqual(actual, expected));
type R = { pid: string; rss: number };
const r = (pid: string, rss: number): R => ({ pid, rss });
const opts = { samples: 3, keyOf: (x: R) => x.pid, valueOf: (x: R) => x.rss };
const tr = (pid: string, rss: number, rising: boolean, slopePerSec: number | null) => ({ key: pid, value: r(pid, rss), rising, slopePerSec });

test('trend: rising once `samples` samples each beat the one before; a flat step breaks it', () => {
  scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
    const source = cold('a 999ms b 999ms c 999ms d 999ms e|', { a: [r('7', 1)], b: [r('7', 2)], c: [r('7', 3)], d: [r('7', 3)], e: [r('7', 5)] });
    expectObservable(source.pipe(trend(opts))).toBe('a 999ms b 999ms c 999ms d 999ms e|', {
      a: [tr('7', 1, false, null)],
      b: [tr('7', 2, false, 1)],
      c: [tr('7', 3, true, 1)],
      d: [tr('7', 3, false, 0.5)],
      e: [tr('7', 5, false, 1)],
    });
    expectSubscriptions(source.subscriptions).toBe('^ 4000ms !');
  });
});

test('trend: per key; a process that leaves the table starts over; a fall is not a rise', () => {
  scheduler().run(({ cold, expectObservable }) => {
    const source = cold('a 999ms b 999ms c 999ms d|', { a: [r('1', 10), r('2', 10)], b: [r('1', 20), r('2', 9)], c: [r('1', 30)], d: [r('1', 40), r('2', 11)] });
    expectObservable(source.pipe(trend(opts))).toBe('a 999ms b 999ms c 999ms d|', {
      a: [tr('1', 10, false, null), tr('2', 10, false, null)],
      b: [tr('1', 20, false, 10), tr('2', 9, false, -1)],
      c: [tr('1', 30, true, 10)],
      d: [tr('1', 40, true, 10), tr('2', 11, false, null)],
    });
  });
});

test('trend: empty, never, source error, throwing valueOf', () => {
  scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
    expectObservable(cold<R[]>('|').pipe(trend(opts))).toBe('|');
    expectObservable(cold<R[]>('-').pipe(trend(opts))).toBe('-');
    const err = new Error('table read failed');
    expectObservable(cold('a#', { a: [r('1', 1)] }, err).pipe(trend(opts))).toBe('a#', { a: [tr('1', 1, false, null)] }, err);
    const boom = new Error('bad rss');
    const source = cold('a 1s b|', { a: [r('1', 1)], b: [r('1', -1)] });
    const valueOf = (x: R) => {
      if (x.rss < 0) throw boom;
      return x.rss;
    };
    expectObservable(source.pipe(trend({ ...opts, valueOf }))).toBe('a 1s #', { a: [tr('1', 1, false, null)] }, boom);
    expectSubscriptions(source.subscriptions).toBe('^ 1s !');
  });
});

test('trend: early unsubscribe; no timer is ever set', () => {
  const ts = scheduler();
  ts.run(({ cold, expectObservable, expectSubscriptions, flush }) => {
    const tracking = trackingScheduler(ts);
    const source = cold('a 1m a|', { a: [r('1', 1)] });
    expectObservable(source.pipe(trend({ ...opts, scheduler: tracking })), '^ 2s !').toBe('a', { a: [tr('1', 1, false, null)] });
    expectSubscriptions(source.subscriptions).toBe('^ 2s !');
    flush();
    assert.equal(tracking.pending(), 0);
    assert.deepEqual(tracking.ran, []);
  });
});
