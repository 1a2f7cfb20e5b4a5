import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestScheduler } from 'rxjs/testing';
import { keyedHistory, type History } from './keyedHistory.js';
import { trackingScheduler } from './testing/trackingScheduler.js';

const scheduler = () => new TestScheduler((actual, expected) => assert.deepEqual(actual, expected));
type S = { k: string; n: number };
const s = (k: string, n: number): S => ({ k, n });
const keyOf = (x: S) => x.k;
const h = (key: string, ...samples: [number, number][]): History<S> => ({ key, value: s(key, samples[samples.length - 1]![0]), samples: samples.map(([n, at]) => ({ value: s(key, n), at })) });

test('keyedHistory: the last `size` samples per key, a key missing from a tick starts over', () => {
  scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
    const source = cold('a 1s b 1s c 1s d|', { a: [s('a', 1), s('b', 5)], b: [s('a', 2)], c: [s('a', 3), s('b', 7)], d: [s('a', 4)] });
    //                   0    1001   2002   3003
    expectObservable(source.pipe(keyedHistory({ size: 2, keyOf }))).toBe('a 1s b 1s c 1s d|', {
      a: [h('a', [1, 0]), h('b', [5, 0])],
      b: [h('a', [1, 0], [2, 1001])],
      c: [h('a', [2, 1001], [3, 2002]), h('b', [7, 2002])],
      d: [h('a', [3, 2002], [4, 3003])],
    });
    expectSubscriptions(source.subscriptions).toBe('^ 3003ms !');
  });
});

test("keyedHistory: the values' own times (timeOf); a key twice in a tick keeps its last value; size 1", () => {
  scheduler().run(({ cold, expectObservable }) => {
    type T = S & { ts: number };
    const t = (k: string, n: number, ts: number): T => ({ k, n, ts });
    const source = cold('ab|', { a: [t('x', 1, 100), t('x', 2, 100)], b: [t('x', 3, 200)] });
    expectObservable(source.pipe(keyedHistory({ size: 5, keyOf, timeOf: (v: T) => v.ts }))).toBe('ab|', {
      a: [{ key: 'x', value: t('x', 2, 100), samples: [{ value: t('x', 2, 100), at: 100 }] }],
      b: [{ key: 'x', value: t('x', 3, 200), samples: [{ value: t('x', 2, 100), at: 100 }, { value: t('x', 3, 200), at: 200 }] }],
    });
    expectObservable(cold('ab|', { a: [s('x', 1)], b: [s('x', 2)] }).pipe(keyedHistory({ size: 1, keyOf }))).toBe('ab|', { a: [h('x', [1, 0])], b: [h('x', [2, 1])] });
  });
});

test('keyedHistory: an empty tick forgets every key; empty, never, source error, throwing keyOf', () => {
  scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
    expectObservable(cold('abc|', { a: [s('x', 1)], b: [], c: [s('x', 2)] }).pipe(keyedHistory({ size: 3, keyOf }))).toBe('abc|', { a: [h('x', [1, 0])], b: [], c: [h('x', [2, 2])] });
    expectObservable(cold<S[]>('|').pipe(keyedHistory({ size: 2, keyOf }))).toBe('|');
    expectObservable(cold<S[]>('-').pipe(keyedHistory({ size: 2, keyOf }))).toBe('-');
    const err = new Error('table read failed');
    expectObservable(cold('a#', { a: [s('x', 1)] }, err).pipe(keyedHistory({ size: 2, keyOf }))).toBe('a#', { a: [h('x', [1, 0])] }, err);
    const boom = new Error('bad key');
    const source = cold('a 1s b|', { a: [s('x', 1)], b: [s('bad', 1)] });
    const throwing = (x: S) => {
      if (x.k === 'bad') throw boom;
      return x.k;
    };
    expectObservable(source.pipe(keyedHistory({ size: 2, keyOf: throwing }))).toBe('a 1s #', { a: [h('x', [1, 0])] }, boom);
    expectSubscriptions(source.subscriptions).toBe('^ 1s !');
  });
});

test('keyedHistory: early unsubscribe; no timer is ever set', () => {
  const ts = scheduler();
  ts.run(({ cold, expectObservable, expectSubscriptions, flush }) => {
    const tracking = trackingScheduler(ts);
    const source = cold('a 1m a|', { a: [s('x', 1)] });
    expectObservable(source.pipe(keyedHistory({ size: 2, keyOf, scheduler: tracking })), '^ 2s !').toBe('a', { a: [h('x', [1, 0])] });
    expectSubscriptions(source.subscriptions).toBe('^ 2s !');
    flush();
    assert.equal(tracking.pending(), 0);
    assert.deepEqual(tracking.ran, []);
  });
});
