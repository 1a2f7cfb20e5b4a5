import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestScheduler } from 'rxjs/testing';
import { rateLimit, type RateLimitOptions } from './rateLimit.js';
import { trackingScheduler } from './testing/trackingScheduler.js';

const scheduler = () => new TestScheduler((actual, expected) => assert.deepEqual(actual, expected));

type Sev = 'critical' | 'warning' | 'info';
interface Item {
  key: string;
  sev: Sev;
  n: number;
}
// a,b,c: key "cpu" critical; w: key "cpu" warning; x: key "disk" critical
const items: Record<string, Item> = {
  a: { key: 'cpu', sev: 'critical', n: 1 },
  b: { key: 'cpu', sev: 'critical', n: 2 },
  c: { key: 'cpu', sev: 'critical', n: 3 },
  w: { key: 'cpu', sev: 'warning', n: 4 },
  x: { key: 'disk', sev: 'critical', n: 5 },
};
const base: RateLimitOptions<Item, Sev> = {
  windowMsBySeverity: { critical: 60_000, warning: 300_000, info: 0 },
  keyOf: (i) => i.key,
  severityOf: (i) => i.sev,
};
const out = (v: string, suppressed: number) => ({ value: items[v]!, suppressed });

test('rateLimit: a storm becomes one item, the next one carries the suppressed count', () => {
  scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
    const source = cold('a b c 1m b 1m c|', items);
    //                   0 1 2    60003 120004
    const expected = '   A - - 1m B 1m C|';
    expectObservable(source.pipe(rateLimit(base))).toBe(expected, { A: out('a', 0), B: out('b', 2), C: out('c', 0) });
    expectSubscriptions(source.subscriptions).toBe('^ 120004ms !');
  });
});

test('rateLimit: windows per severity and per key; severity 0 window means no limit', () => {
  scheduler().run(({ cold, expectObservable }) => {
    const all = { ...items, i: { key: 'x', sev: 'info' as const, n: 9 } };
    const source = cold('a w x a w x i i|', all);
    expectObservable(source.pipe(rateLimit(base))).toBe('A W X - - - I J|', {
      A: out('a', 0),
      W: out('w', 0),
      X: out('x', 0),
      I: { value: all.i, suppressed: 0 },
      J: { value: all.i, suppressed: 0 },
    });
  });
});

test('rateLimit: exactly at the window end a new window opens; one ms before is suppressed', () => {
  scheduler().run(({ cold, expectObservable }) => {
    expectObservable(cold('a 59999ms b|', items).pipe(rateLimit(base))).toBe('A 59999ms B|', { A: out('a', 0), B: out('b', 0) });
    expectObservable(cold('a 59998ms b|', items).pipe(rateLimit(base))).toBe('A 59998ms -|', { A: out('a', 0) });
  });
});

test('rateLimit: flapping between two severities of one key does not suppress across them', () => {
  scheduler().run(({ cold, expectObservable }) => {
    expectObservable(cold('a w a w a w|', items).pipe(rateLimit(base))).toBe('A W - - - -|', { A: out('a', 0), W: out('w', 0) });
  });
});

test('rateLimit: trailing — the window end emits the latest suppressed with the others counted', () => {
  const ts = scheduler();
  ts.run(({ cold, expectObservable, flush }) => {
    const tracking = trackingScheduler(ts);
    const source = cold('a b c 5m |', items);
    // a at 0; b, c suppressed; at 60 000 c comes out with 1 other; its window to 120 000 is quiet
    expectObservable(source.pipe(rateLimit({ ...base, trailing: true, scheduler: tracking }))).toBe('A 59999ms C 240002ms |', {
      A: out('a', 0),
      C: out('c', 1),
    });
    flush();
    assert.deepEqual(tracking.ran, [60_000, 120_000]);
    assert.equal(tracking.pending(), 0);
  });
});

test('rateLimit: gaps — without trailing, a count waits through a long silence for the key', () => {
  scheduler().run(({ cold, expectObservable }) => {
    expectObservable(cold('a b 60m c|', items).pipe(rateLimit(base))).toBe('A - 60m C|', { A: out('a', 0), C: out('c', 1) });
  });
});

test('rateLimit: empty, never, source error', () => {
  scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
    const err = new Error('upstream');
    const never = cold<Item>('-');
    expectObservable(cold<Item>('|').pipe(rateLimit(base))).toBe('|');
    expectObservable(never.pipe(rateLimit(base))).toBe('-');
    expectObservable(cold('a b #', items, err).pipe(rateLimit(base))).toBe('A - #', { A: out('a', 0) }, err);
    expectSubscriptions(never.subscriptions).toBe('^');
  });
});

test('rateLimit: a throwing keyOf or a severity without a window errors the stream', () => {
  scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
    const boom = new Error('no key');
    const s1 = cold('a 1s b|', items);
    const keyOf = (i: Item) => {
      if (i.n === 2) throw boom;
      return i.key;
    };
    expectObservable(s1.pipe(rateLimit({ ...base, keyOf }))).toBe('A 1s #', { A: out('a', 0) }, boom);
    expectSubscriptions(s1.subscriptions).toBe('^ 1s !');
    const partial = { windowMsBySeverity: { critical: 1000 } } as unknown as Pick<RateLimitOptions<Item, Sev>, 'windowMsBySeverity'>;
    expectObservable(cold('a w|', items).pipe(rateLimit({ ...base, ...partial }))).toBe(
      'A #',
      { A: out('a', 0) },
      new Error('rateLimit: no window configured for severity "warning"'),
    );
  });
});

test('rateLimit: early unsubscribe cancels trailing timers and emits nothing more', () => {
  const ts = scheduler();
  ts.run(({ cold, expectObservable, expectSubscriptions, flush }) => {
    const tracking = trackingScheduler(ts);
    const source = cold('a b 5m |', items);
    expectObservable(source.pipe(rateLimit({ ...base, trailing: true, scheduler: tracking })), '^ 10s !').toBe('A', { A: out('a', 0) });
    expectSubscriptions(source.subscriptions).toBe('^ 10s !');
    flush();
    assert.equal(tracking.pending(), 0);
    assert.deepEqual(tracking.ran, []);
  });
});

test('rateLimit: trailing — completion flushes every pending count at once (a shutdown loses no storm), timers torn down', () => {
  const ts = scheduler();
  ts.run(({ cold, expectObservable, expectSubscriptions, flush }) => {
    const tracking = trackingScheduler(ts);
    // cpu: a, b, c (b and c held back); disk: x alone (nothing held back); cpu warning: w, w
    const source = cold('a b x c w w 1s |', items);
    expectObservable(source.pipe(rateLimit({ ...base, trailing: true, scheduler: tracking }))).toBe('A - X - W - 1s (CV|)', {
      A: out('a', 0),
      X: out('x', 0),
      W: out('w', 0),
      C: out('c', 1),
      V: out('w', 0),
    });
    expectSubscriptions(source.subscriptions).toBe('^ 1s 5ms !');
    flush();
    assert.equal(tracking.pending(), 0);
    assert.deepEqual(tracking.ran, []);
  });
});

test('rateLimit: without trailing, completion emits nothing more (the count waits for the key)', () => {
  scheduler().run(({ cold, expectObservable }) => {
    expectObservable(cold('a b 1s |', items).pipe(rateLimit(base))).toBe('A - 1s |', { A: out('a', 0) });
  });
});
