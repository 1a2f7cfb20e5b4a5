import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { TestScheduler } from 'rxjs/testing';
import { countExceeds } from './countExceeds.js';
import { trackingScheduler } from './testing/trackingScheduler.js';

const scheduler = () => new TestScheduler((actual, expected) => assert.deepEqual(actual, expected));
const self = (x: string) => x;

describe('countExceeds', () => {
  test('fires on the event that goes over the threshold, then counts afresh', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('a 1s a 1s a 1s a 1s a 1s a|');
      const expected = '   - 1s - 1s E 1s - 1s - 1s E|';
      expectObservable(source.pipe(countExceeds(2, 30_000, { keyOf: self }))).toBe(expected, {
        E: { key: 'a', count: 3, events: ['a', 'a', 'a'], value: 'a' },
      });
      expectSubscriptions(source.subscriptions).toBe('^ 5005ms !');
    });
  });

  test('exactly at the threshold does not fire; one more does', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('a a a|').pipe(countExceeds(3, 60_000, { keyOf: self }))).toBe('- - -|');
      expectObservable(cold('a a a a|').pipe(countExceeds(3, 60_000, { keyOf: self }))).toBe('- - - E|', {
        E: { key: 'a', count: 4, events: ['a', 'a', 'a', 'a'], value: 'a' },
      });
    });
  });

  test('an event exactly a window old has left it; attempts spread wider never fire', () => {
    scheduler().run(({ cold, expectObservable }) => {
      // window 30 s: the 3rd event at 30 s finds the one at 0 gone
      expectObservable(cold('a 14999ms a 14999ms a|').pipe(countExceeds(2, 30_000, { keyOf: self }))).toBe('- 14999ms - 14999ms -|');
      // one attempt every 11 s: at most 3 in any 30 s → threshold 3 never exceeded
      expectObservable(cold('a 10s a 10s a 10s a 10s a 10s a|').pipe(countExceeds(3, 30_000, { keyOf: self }))).toBe('- 10s - 10s - 10s - 10s - 10s -|');
    });
  });

  test('keys are independent', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('a b a b a b|', { a: '1.1.1.1', b: '2.2.2.2' });
      expectObservable(source.pipe(countExceeds(2, 30_000, { keyOf: self }))).toBe('- - - - A B|', {
        A: { key: '1.1.1.1', count: 3, events: ['1.1.1.1', '1.1.1.1', '1.1.1.1'], value: '1.1.1.1' },
        B: { key: '2.2.2.2', count: 3, events: ['2.2.2.2', '2.2.2.2', '2.2.2.2'], value: '2.2.2.2' },
      });
    });
  });

  test("windows on the event's own time: a burst replayed late fires, events far apart do not", () => {
    scheduler().run(({ cold, expectObservable }) => {
      interface E { ip: string; ts: number }
      const at = (ts: number): E => ({ ip: 'x', ts });
      // arriving 1 ms apart, but written an hour apart: no burst
      const spread = cold('a b c|', { a: at(0), b: at(3_600_000), c: at(7_200_000) });
      expectObservable(spread.pipe(countExceeds(1, 60_000, { keyOf: (e) => e.ip, timeOf: (e) => e.ts }))).toBe('- - -|');
      // arriving a minute apart, but written within one second: a burst; a late one is placed in time order
      const burst = cold('a 1m b 1m c|', { a: at(500), b: at(900), c: at(100) });
      expectObservable(burst.pipe(countExceeds(2, 60_000, { keyOf: (e) => e.ip, timeOf: (e) => e.ts }))).toBe('- 1m - 1m C|', {
        C: { key: 'x', count: 3, events: [at(100), at(500), at(900)], value: at(100) },
      });
    });
  });

  test('empty, never, source error, throwing keyOf or timeOf', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const err = new Error('tail broke');
      const boom = new Error('bad line');
      expectObservable(cold<string>('|').pipe(countExceeds(1, 1000))).toBe('|');
      expectObservable(cold<string>('-').pipe(countExceeds(1, 1000))).toBe('-');
      expectObservable(cold('a a #', undefined, err).pipe(countExceeds(1, 1000))).toBe('- E #', { E: { key: '', count: 2, events: ['a', 'a'], value: 'a' } }, err);
      const throwsOn = (bad: string) => (x: string) => {
        if (x === bad) throw boom;
        return x;
      };
      const s1 = cold('a 1s b|');
      expectObservable(s1.pipe(countExceeds(5, 1000, { keyOf: throwsOn('b') }))).toBe('- 1s #', undefined, boom);
      expectSubscriptions(s1.subscriptions).toBe('^ 1s !');
      const s2 = cold('a 1s b|');
      expectObservable(s2.pipe(countExceeds(5, 1000, { timeOf: (x) => (throwsOn('b')(x), 0) }))).toBe('- 1s #', undefined, boom);
      expectSubscriptions(s2.subscriptions).toBe('^ 1s !');
    });
  });

  test('early unsubscribe; no timer is ever set', () => {
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
});
