import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestScheduler } from 'rxjs/testing';
import { growthRate } from './growthRate.js';
import { trackingScheduler } from './testing/trackingScheduler.js';

const scheduler = () => new TestScheduler((actual, expected) => assert.deepEqual(actual, expected));
type C = { k: string; n: number };
const c = (k: string, n: number): C => ({ k, n });
const opts = { keyOf: (x: C) => x.k, countOf: (x: C) => x.n };
const g = (k: string, n: number, perSecond: number | null) => ({ key: k, value: c(k, n), count: n, perSecond });

test('growthRate: per second between ticks; a new key is a baseline; shrinking is negative', () => {
  scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
    const source = cold('a 999ms b 999ms c 1999ms d|', { a: [c('', 10)], b: [c('', 10), c('900', 2)], c: [c('', 70), c('900', 62)], d: [c('', 10)] });
    //                   0       1000     2000       4000
    expectObservable(source.pipe(growthRate(opts))).toBe('a 999ms b 999ms c 1999ms d|', {
      a: [g('', 10, null)],
      b: [g('', 10, 0), g('900', 2, null)],
      c: [g('', 70, 60), g('900', 62, 60)],
      d: [g('', 10, -30)],
    });
    expectSubscriptions(source.subscriptions).toBe('^ 4000ms !');
  });
});

test("growthRate: on the counts' own times; no time between two counts is no rate", () => {
  scheduler().run(({ cold, expectObservable }) => {
    type T = C & { ts: number };
    const t = (n: number, ts: number): T => ({ k: '', n, ts });
    const source = cold('abc|', { a: [t(0, 0)], b: [t(500, 250)], c: [t(900, 250)] });
    expectObservable(source.pipe(growthRate({ ...opts, timeOf: (x: T) => x.ts }))).toBe('abc|', {
      a: [{ key: '', value: t(0, 0), count: 0, perSecond: null }],
      b: [{ key: '', value: t(500, 250), count: 500, perSecond: 2000 }],
      c: [{ key: '', value: t(900, 250), count: 900, perSecond: null }],
    });
  });
});

test('growthRate: empty, never, source error, throwing countOf', () => {
  scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
    expectObservable(cold<C[]>('|').pipe(growthRate(opts))).toBe('|');
    expectObservable(cold<C[]>('-').pipe(growthRate(opts))).toBe('-');
    const err = new Error('table read failed');
    expectObservable(cold('a#', { a: [c('', 1)] }, err).pipe(growthRate(opts))).toBe('a#', { a: [g('', 1, null)] }, err);
    const boom = new Error('bad count');
    const source = cold('a 1s b|', { a: [c('', 1)], b: [c('', -1)] });
    const countOf = (x: C) => {
      if (x.n < 0) throw boom;
      return x.n;
    };
    expectObservable(source.pipe(growthRate({ ...opts, countOf }))).toBe('a 1s #', { a: [g('', 1, null)] }, boom);
    expectSubscriptions(source.subscriptions).toBe('^ 1s !');
  });
});

test('growthRate: early unsubscribe; no timer is ever set', () => {
  const ts = scheduler();
  ts.run(({ cold, expectObservable, expectSubscriptions, flush }) => {
    const tracking = trackingScheduler(ts);
    const source = cold('a 1m a|', { a: [c('', 1)] });
    expectObservable(source.pipe(growthRate({ ...opts, scheduler: tracking })), '^ 2s !').toBe('a', { a: [g('', 1, null)] });
    expectSubscriptions(source.subscriptions).toBe('^ 2s !');
    flush();
    assert.equal(tracking.pending(), 0);
    assert.deepEqual(tracking.ran, []);
  });
});
