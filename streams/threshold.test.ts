import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestScheduler } from 'rxjs/testing';
import { breaches, threshold } from './threshold.js';

const scheduler = () => new TestScheduler((actual, expected) => assert.deepEqual(actual, expected));

test('breaches: above/below, exclusive by default, inclusive on request, NaN never', () => {
  const above = breaches({ limit: 90 });
  assert.deepEqual([89.9, 90, 90.1, NaN].map(above), [false, false, true, false]);
  const aboveIncl = breaches({ limit: 90, inclusive: true });
  assert.deepEqual([89.9, 90, 90.1, NaN].map(aboveIncl), [false, true, true, false]);
  const below = breaches({ limit: 10, comparison: 'below' });
  assert.deepEqual([9, 10, 11, NaN].map(below), [true, false, false, false]);
  const belowIncl = breaches({ limit: 10, comparison: 'below', inclusive: true });
  assert.deepEqual([9, 10, 11].map(belowIncl), [true, true, false]);
});

test('threshold: happy path and exactly at the limit (exclusive vs inclusive)', () => {
  scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
    const values = { a: 50, b: 90, c: 95 };
    const source = cold(' a 9s b 2m c|', values);
    const exclusive = '   a 9s b 2m c|';
    const inclusive = '   a 9s b 2m c|';
    const subs = '        ^ 129002ms !'; // a(0) b(9001) c(129002) |(129003)
    expectObservable(source.pipe(threshold({ limit: 90 }))).toBe(exclusive, { a: false, b: false, c: true });
    expectObservable(source.pipe(threshold({ limit: 90, inclusive: true }))).toBe(inclusive, { a: false, b: true, c: true });
    expectSubscriptions(source.subscriptions).toBe([subs, subs]);
  });
});

test('threshold: flapping around the limit maps every tick (no smoothing here)', () => {
  scheduler().run(({ cold, expectObservable }) => {
    const source = cold('a 1s b 1s a 1s b|', { a: 89, b: 91 });
    expectObservable(source.pipe(threshold({ limit: 90 }))).toBe('a 1s b 1s a 1s b|', { a: false, b: true });
  });
});

test('threshold: with a selector over objects, below comparison', () => {
  scheduler().run(({ cold, expectObservable }) => {
    const source = cold('a 5s b|', { a: { free: 30 }, b: { free: 4 } });
    const result = source.pipe(threshold({ limit: 5, comparison: 'below' }, (m: { free: number }) => m.free));
    expectObservable(result).toBe('a 5s b|', { a: false, b: true });
  });
});

test('threshold: empty, never, error pass through', () => {
  scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
    const empty = cold<number>('|');
    const never = cold<number>('-');
    const failing = cold<number>('a 1s #', { a: 99 }, new Error('collector died'));
    expectObservable(empty.pipe(threshold({ limit: 1 }))).toBe('|');
    expectObservable(never.pipe(threshold({ limit: 1 }))).toBe('-');
    expectObservable(failing.pipe(threshold({ limit: 1 }))).toBe('a 1s #', { a: true }, new Error('collector died'));
    expectSubscriptions(empty.subscriptions).toBe('(^!)');
    expectSubscriptions(failing.subscriptions).toBe('^ 1s !');
  });
});

test('threshold: a throwing selector errors the stream and unsubscribes the source', () => {
  scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
    const boom = new Error('no such field');
    const source = cold('a 1s b 1s c|', { a: 1, b: 2, c: 3 });
    const result = source.pipe(
      threshold({ limit: 1 }, (v: number) => {
        if (v === 2) throw boom;
        return v;
      }),
    );
    expectObservable(result).toBe('a 1s #', { a: false }, boom);
    expectSubscriptions(source.subscriptions).toBe('^ 1s !');
  });
});

test('threshold: early unsubscribe', () => {
  scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
    const source = cold('a 1s b 1s c|', { a: 1, b: 2, c: 3 });
    expectObservable(source.pipe(threshold({ limit: 1 })), '^ 1500ms !').toBe('a 1s b', { a: false, b: true });
    expectSubscriptions(source.subscriptions).toBe('^ 1500ms !');
  });
});
