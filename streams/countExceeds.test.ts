import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { TestScheduler } from 'rxjs/testing';
import { countExceeds, KeyedWindowCounter } from './countExceeds.js';
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

describe('KeyedWindowCounter (the state machine)', () => {
  test('fires when the count EXCEEDS the threshold, then resets the key', () => {
    const c = new KeyedWindowCounter<number>({ windowMs: 60_000, threshold: 3 });
    assert.equal(c.add('a', 0, 1), null);
    assert.equal(c.add('a', 1000, 2), null);
    assert.equal(c.add('a', 2000, 3), null, 'exactly at the threshold: no');
    assert.deepEqual(c.add('a', 3000, 4), [1, 2, 3, 4]);
    assert.equal(c.count('a', 3000), 0, 'reset after firing');
    assert.equal(c.add('a', 4000, 5), null);
  });

  test('a clock that went back by more than a window starts the key afresh; a late event within 2 windows is ignored', () => {
    const c = new KeyedWindowCounter<number>({ windowMs: 10_000, threshold: 1 });
    c.add('a', 100_000, 1);
    assert.equal(c.add('a', 85_000, 2), null, 'late and outside the window: not counted');
    assert.equal(c.count('a', 100_000), 1);
    assert.equal(c.add('a', 50_000, 3), null, 'clock went back: afresh');
    assert.deepEqual(c.add('a', 51_000, 4), [3, 4]);
  });

  test('an event exactly `window` old has left the window; keys are independent', () => {
    const c = new KeyedWindowCounter<number>({ windowMs: 10_000, threshold: 2 });
    c.add('a', 0, 1);
    c.add('b', 0, 1);
    c.add('a', 5_000, 2);
    assert.equal(c.count('b', 5_000), 1);
    assert.equal(c.add('a', 10_000, 3), null, 'the event at 0 expired at 10 s');
    assert.equal(c.count('a', 10_000), 2);
    assert.equal(c.count('b', 10_000), 0, 'b expired too');
    assert.deepEqual(c.add('a', 10_001, 4), [2, 3, 4]);
  });

  test('10,000 addresses in one window: each fires once; two windows later none is held', () => {
    const c = new KeyedWindowCounter<number>({ windowMs: 60_000, threshold: 5 });
    const fired = new Map<string, number>();
    let t = 0;
    for (let round = 0; round < 6; round++) {
      for (let i = 0; i < 10_000; i++) {
        const ip = `10.${(i >> 8) & 255}.${i & 255}.0`;
        if (c.add(ip, t, i)) fired.set(ip, (fired.get(ip) ?? 0) + 1);
        t += 0.5;
      }
    }
    assert.equal(fired.size, 10_000);
    assert.ok([...fired.values()].every((n) => n === 1));
    assert.equal(c.size, 0, 'fired keys are forgotten');
    // 10,000 addresses seen once each, then silence: gone within two windows
    for (let i = 0; i < 10_000; i++) c.add(`192.0.${i >> 8}.${i & 255}`, 100_000, i);
    assert.equal(c.size, 10_000);
    c.add('203.0.113.1', 100_000 + 60_000, 0);
    c.add('203.0.113.1', 100_000 + 120_000, 0);
    assert.equal(c.size, 1);
  });

  test('a key touched every window is kept across generations', () => {
    const c = new KeyedWindowCounter<number>({ windowMs: 10_000, threshold: 3 });
    c.add('a', 0, 1);
    c.add('a', 9_000, 2);
    c.add('b', 12_000, 0); // ages: a is in the old generation
    c.add('a', 15_000, 3);
    c.add('b', 24_000, 0); // ages again: a, touched since, is old now and still found
    assert.deepEqual(c.add('a', 16_000, 4), null);
    assert.deepEqual(c.add('a', 17_000, 5), [2, 3, 4, 5]);
  });

  test('maxKeys caps the live keys whatever the traffic; survivors are still forgotten later', () => {
    const c = new KeyedWindowCounter<number>({ windowMs: 60_000, threshold: 5, maxKeys: 1000 });
    for (let i = 0; i < 50_000; i++) c.add(`ip${i}`, i, i);
    assert.ok(c.size <= 1000, `size ${c.size}`);
    c.add('203.0.113.1', 50_000 + 120_000, 0);
    assert.equal(c.size, 1);
  });

  test('rejects a non-positive window', () => {
    assert.throws(() => new KeyedWindowCounter({ windowMs: 0, threshold: 5 }), /window must be > 0/);
  });
});
