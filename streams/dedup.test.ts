import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestScheduler } from 'rxjs/testing';
import { dedup, DEFAULT_DEDUP_WINDOW_MS } from './dedup.js';

const scheduler = () => new TestScheduler((actual, expected) => assert.deepEqual(actual, expected));
const self = (x: string) => x;

test('dedup: drops repeats within the window (5 min default), passes the first after it', () => {
  scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
    const source = cold('a 1m a 1m b 2m a 1m a|');
    const expected = '   a 1m - 1m b 2m - 1m a|';
    expectObservable(source.pipe(dedup(undefined, self))).toBe(expected);
    expectSubscriptions(source.subscriptions).toBe('^ 300004ms !');
  });
  assert.equal(DEFAULT_DEDUP_WINDOW_MS, 300_000);
});

test('dedup: exactly windowMs later passes; one ms before is dropped; dropped items do not extend the window', () => {
  scheduler().run(({ cold, expectObservable }) => {
    expectObservable(cold('a 9999ms a|').pipe(dedup(10_000, self))).toBe('a 9999ms a|');
    expectObservable(cold('a 9998ms a|').pipe(dedup(10_000, self))).toBe('a 9998ms -|');
    // a at 0, 5000 (dropped), 10000 (passes: the window ran from 0, not from 5000)
    expectObservable(cold('a 4999ms a 4999ms a|').pipe(dedup(10_000, self))).toBe('a 4999ms - 4999ms a|');
  });
});

test('dedup: flapping between keys — each key once per window', () => {
  scheduler().run(({ cold, expectObservable }) => {
    expectObservable(cold('a b a b a b|').pipe(dedup(60_000, self))).toBe('a b - - - -|');
  });
});

test('dedup: onRecord reports each record; initial state survives a restart', () => {
  const ts = scheduler();
  ts.run(({ cold, expectObservable, flush }) => {
    const records: [string, number][] = [];
    const first = cold('a 1m b 1m a|');
    expectObservable(first.pipe(dedup(300_000, self, { scheduler: ts, onRecord: (k, t) => records.push([k, t]) }))).toBe('a 1m b 1m -|');
    flush();
    assert.deepEqual(records, [
      ['a', 0],
      ['b', 60_001],
    ]);
  });
  // "restart" at t=0 of a new virtual clock, fed with state recorded 4 min and 6 min ago
  scheduler().run(({ cold, expectObservable }) => {
    const initial = new Map([
      ['a', -240_000], // 4 min ago: still deduped for one more minute
      ['b', -360_000], // 6 min ago: expired, ignored
      ['c', 5_000], //   in the future (clock went back): read as now
    ]);
    const source = cold('a b c 60s a 4m c|');
    //                   0 1 2     60003 300004
    expectObservable(source.pipe(dedup(300_000, self, { initial }))).toBe('- b - 60s a 4m c|');
  });
});

test('dedup: gaps — a long silence simply expires the records', () => {
  scheduler().run(({ cold, expectObservable }) => {
    expectObservable(cold('a b 60m a b|').pipe(dedup(300_000, self))).toBe('a b 60m a b|');
  });
});

test('dedup: empty, never, source error', () => {
  scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
    const err = new Error('upstream');
    const never = cold<string>('-');
    expectObservable(cold<string>('|').pipe(dedup(1000, self))).toBe('|');
    expectObservable(never.pipe(dedup(1000, self))).toBe('-');
    expectObservable(cold('a a #', undefined, err).pipe(dedup(1000, self))).toBe('a - #', undefined, err);
    expectSubscriptions(never.subscriptions).toBe('^');
  });
});

test('dedup: a throwing keyOf or onRecord errors the stream and unsubscribes', () => {
  scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
    const boom = new Error('disk full');
    const s1 = cold('a 1s b|');
    const keyOf = (x: string) => {
      if (x === 'b') throw boom;
      return x;
    };
    expectObservable(s1.pipe(dedup(1000, keyOf))).toBe('a 1s #', undefined, boom);
    expectSubscriptions(s1.subscriptions).toBe('^ 1s !');
    const s2 = cold('a 1s b|');
    const onRecord = (k: string) => {
      if (k === 'b') throw boom;
    };
    expectObservable(s2.pipe(dedup(1000, self, { onRecord }))).toBe('a 1s #', undefined, boom);
  });
});

test('dedup: early unsubscribe', () => {
  scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
    const source = cold('a 1s b 1m c|');
    expectObservable(source.pipe(dedup(1000, self)), '^ 5s !').toBe('a 1s b');
    expectSubscriptions(source.subscriptions).toBe('^ 5s !');
  });
});

test('dedup: a deferred record suppresses nothing until confirmed; repeats after the confirm are dropped and reported', () => {
  const ts = scheduler();
  ts.run(({ cold, expectObservable }) => {
    const records: [string, number][] = [];
    const dropped: string[] = [];
    const confirms: (() => void)[] = [];
    const source = cold('a 1m a 1m a 1m a|');
    const out = source.pipe(
      dedup(300_000, (x: string) => x[0]!, {
        scheduler: ts,
        onRecord: (k, t) => records.push([k, t]),
        onDrop: (x) => dropped.push(x),
        // the first a waits for its confirm; the others record at once
        deferRecord: (x, confirm) => (confirms.length === 0 ? (confirms.push(confirm), `${x}*`) : undefined),
      }),
    );
    // the first a passes unconfirmed, so the second passes too (and records at 1m)
    expectObservable(out).toBe('a 1m b 1m - 1m -|', { a: 'a*', b: 'a' });
    ts.schedule(() => confirms[0]!(), 90_000);
    ts.flush();
    assert.deepEqual(records, [['a', 60_001], ['a', 90_000]]);
    assert.deepEqual(dropped, ['a', 'a']);
  });
});

test('dedup: a throwing deferRecord errors the stream', () => {
  scheduler().run(({ cold, expectObservable }) => {
    const out = cold('a|').pipe(dedup(1000, self, { deferRecord: () => { throw new Error('boom'); } }));
    expectObservable(out).toBe('#', undefined, new Error('boom'));
  });
});
