import { test } from 'node:test';
import assert from 'node:assert/strict';
import { concat, NEVER, of } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { dedup, DEFAULT_DEDUP_WINDOW_MS, MAX_PARKED } from './dedup.js';

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

/** dedup over the first letter, every item deferred (emitted as `x*`), its settle kept in `settles` */
const deferring = (ts: TestScheduler) => {
  const records: [string, number][] = [];
  const dropped: string[] = [];
  const settles: ((done: boolean) => void)[] = [];
  const op = dedup(300_000, (x: string) => x[0]!, {
    scheduler: ts,
    onRecord: (k, t) => records.push([k, t]),
    onDrop: (x) => dropped.push(x),
    deferRecord: (x, settle) => (settles.push(settle), `${x}*`),
  });
  return { op, records, dropped, settles };
};

test('dedup: a repeat of an item in flight waits for its outcome: settled done, it is dropped and the key recorded', () => {
  const ts = scheduler();
  ts.run(({ cold, expectObservable }) => {
    const d = deferring(ts);
    // a1 arrives while a0 is in flight (parked); a2, a3 after a0 settled at 90s (recorded: dropped)
    const source = cold('a 1m b 1m c 1m e|', { a: 'a0', b: 'a1', c: 'a2', e: 'a3' });
    expectObservable(source.pipe(d.op)).toBe('a 1m - 1m - 1m -|', { a: 'a0*' });
    ts.schedule(() => d.settles[0]!(true), 90_000);
    ts.flush();
    assert.deepEqual(d.records, [['a', 90_000]]);
    assert.deepEqual(d.dropped, ['a1', 'a2', 'a3']);
    assert.equal(d.settles.length, 1);
  });
});

test('dedup: settled not done, the first parked repeat is let through in its place (in flight in turn), the rest wait behind it', () => {
  const ts = scheduler();
  ts.run(({ cold, expectObservable }) => {
    const d = deferring(ts);
    // a1 and a2 park behind a0; a0 fails at 150s → a1 goes out then, a2 parks behind it;
    // a1 is done at 200s → a2 dropped, and a3 (at 3m) dropped as a repeat of a recorded key
    const source = cold('a 1m b 1m c 1m e|', { a: 'a0', b: 'a1', c: 'a2', e: 'a3' });
    expectObservable(source.pipe(d.op)).toBe('a 149999ms b 30003ms |', { a: 'a0*', b: 'a1*' });
    ts.schedule(() => d.settles[0]!(false), 150_000);
    ts.schedule(() => d.settles[1]!(true), 200_000);
    ts.flush();
    assert.deepEqual(d.records, [['a', 200_000]]);
    assert.deepEqual(d.dropped, ['a2', 'a3']);
  });
});

test('dedup: a key in flight holds only its own repeats; a second settle is ignored; not done with nothing parked records nothing', () => {
  const ts = scheduler();
  ts.run(({ cold, expectObservable }) => {
    const d = deferring(ts);
    const source = cold('a 1m b 1m c|', { a: 'a0', b: 'b0', c: 'a1' });
    expectObservable(source.pipe(d.op)).toBe('a 1m b 1m c|', { a: 'a0*', b: 'b0*', c: 'a1*' });
    ts.schedule(() => {
      d.settles[0]!(false);
      d.settles[0]!(true); // too late: a0 already settled
    }, 90_000);
    ts.flush();
    assert.deepEqual(d.records, []);
    assert.deepEqual(d.dropped, []);
  });
});

test('dedup: an item that never settles holds its repeats for one window, then the next passes and the parked are dropped; a late settle still records', () => {
  const ts = scheduler();
  ts.run(({ cold, expectObservable }) => {
    const d = deferring(ts);
    const source = cold('a 1m b 5m c|', { a: 'a0', b: 'a1', c: 'a2' });
    expectObservable(source.pipe(d.op)).toBe('a 1m - 5m c|', { a: 'a0*', c: 'a2*' });
    ts.schedule(() => d.settles[0]!(true), 400_000); // a0's outcome, after a2 took over
    ts.flush();
    assert.deepEqual(d.dropped, ['a1']);
    assert.deepEqual(d.records, [['a', 400_000]]);
  });
});

test(`dedup: at most ${MAX_PARKED} repeats wait per key, the oldest dropped beyond`, () => {
  const ts = scheduler();
  ts.run(() => {
    const d = deferring(ts);
    const out: string[] = [];
    concat(of(...Array.from({ length: MAX_PARKED + 3 }, (_, i) => `a${i}`)), NEVER).pipe(d.op).subscribe((x) => out.push(x));
    // a0 out; a1..a102 parked, a1 and a2 dropped to keep 100
    assert.deepEqual(out, ['a0*']);
    assert.deepEqual(d.dropped, ['a1', 'a2']);
    d.settles[0]!(false);
    assert.deepEqual(out, ['a0*', 'a3*']);
  });
});

test('dedup: a throwing deferRecord errors the stream', () => {
  scheduler().run(({ cold, expectObservable }) => {
    const out = cold('a|').pipe(dedup(1000, self, { deferRecord: () => { throw new Error('boom'); } }));
    expectObservable(out).toBe('#', undefined, new Error('boom'));
  });
});
