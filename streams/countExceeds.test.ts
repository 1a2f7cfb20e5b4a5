import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestScheduler } from 'rxjs/testing';
import { countExceeds } from './countExceeds.js';
import { trackingScheduler } from './testing/trackingScheduler.js';

const scheduler = () => new TestScheduler((actual, expected) => assert.deepEqual(actual, expected));
const self = (x: string) => x;

test('countExceeds: fires on the event that goes over the threshold, once, and re-arms after the window drains', () => {
  scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
    const source = cold('a 1s a 1s a 1s a 10s 1m a 1s a 1s a|');
    //                   0  1001 2002 3003     73004 74005 75006
    const expected = '   - 1s - 1s E 1s - 10s 1m - 1s - 1s F|';
    expectObservable(source.pipe(countExceeds(2, 30_000, { keyOf: self }))).toBe(expected, {
      E: { key: 'a', count: 3, events: ['a', 'a', 'a'], value: 'a' },
      F: { key: 'a', count: 3, events: ['a', 'a', 'a'], value: 'a' },
    });
    expectSubscriptions(source.subscriptions).toBe('^ 75006ms !');
  });
});

test('countExceeds: exactly at the threshold does not fire; one more does', () => {
  scheduler().run(({ cold, expectObservable }) => {
    expectObservable(cold('a a a|').pipe(countExceeds(3, 60_000, { keyOf: self }))).toBe('- - -|');
    expectObservable(cold('a a a a|').pipe(countExceeds(3, 60_000, { keyOf: self }))).toBe('- - - E|', {
      E: { key: 'a', count: 4, events: ['a', 'a', 'a', 'a'], value: 'a' },
    });
  });
});

test('countExceeds: attempts spread wider than the window never fire (sliding, not fixed buckets)', () => {
  scheduler().run(({ cold, expectObservable }) => {
    // one attempt every 11 s, window 30 s: at most 3 in any window → threshold 3 never exceeded
    const source = cold('a 10s a 10s a 10s a 10s a 10s a|');
    expectObservable(source.pipe(countExceeds(3, 30_000, { keyOf: self }))).toBe('- 10s - 10s - 10s - 10s - 10s -|');
  });
});

test('countExceeds: keys are independent; a continuing attack stays quiet until it pauses a full window', () => {
  scheduler().run(({ cold, expectObservable }) => {
    const source = cold('a b a b a 20s a 20s a 20s a|', { a: '1.1.1.1', b: '2.2.2.2' });
    //                   0 1 2 3 4  20005  40006  60007: the a-window never drains (gaps < 30 s)
    expectObservable(source.pipe(countExceeds(2, 30_000, { keyOf: self }))).toBe('- - - - A 20s - 20s - 20s -|', {
      A: { key: '1.1.1.1', count: 3, events: ['1.1.1.1', '1.1.1.1', '1.1.1.1'], value: '1.1.1.1' },
    });
  });
});

test('countExceeds: empty, never, source error, throwing keyOf', () => {
  scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
    const err = new Error('tail broke');
    const boom = new Error('bad line');
    expectObservable(cold<string>('|').pipe(countExceeds(1, 1000))).toBe('|');
    expectObservable(cold<string>('-').pipe(countExceeds(1, 1000))).toBe('-');
    expectObservable(cold('a a #', undefined, err).pipe(countExceeds(1, 1000))).toBe('- E #', { E: { key: '', count: 2, events: ['a', 'a'], value: 'a' } }, err);
    const source = cold('a 1s b|');
    const keyOf = (x: string) => {
      if (x === 'b') throw boom;
      return x;
    };
    expectObservable(source.pipe(countExceeds(5, 1000, { keyOf }))).toBe('- 1s #', undefined, boom);
    expectSubscriptions(source.subscriptions).toBe('^ 1s !');
  });
});

test('countExceeds: early unsubscribe tears the eviction timer down', () => {
  const ts = scheduler();
  ts.run(({ cold, expectObservable, expectSubscriptions, flush }) => {
    const tracking = trackingScheduler(ts);
    const source = cold('a a 1m |');
    expectObservable(source.pipe(countExceeds(5, 30_000, { keyOf: self, scheduler: tracking })), '^ 2s !').toBe('-');
    expectSubscriptions(source.subscriptions).toBe('^ 2s !');
    flush();
    assert.equal(tracking.pending(), 0);
    assert.deepEqual(tracking.ran, []);
  });
});
