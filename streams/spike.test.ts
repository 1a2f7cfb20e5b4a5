import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestScheduler } from 'rxjs/testing';
import { spike } from './spike.js';

const scheduler = () => new TestScheduler((actual, expected) => assert.deepEqual(actual, expected));

test('spike: a sample far above the moving average of the previous window', () => {
  scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
    const values = { a: 10, b: 12, c: 11, d: 9, e: 10, s: 50, f: 11 };
    const source = cold('a 5s b 5s c 5s d 5s e 5s s 5s f|', values);
    const expected = '   - 5s - 5s - 5s - 5s - 5s S 5s -|';
    expectObservable(source.pipe(spike({ factor: 3, minSamples: 5, window: 5 }))).toBe(expected, {
      S: { value: 50, sample: 50, average: 10.4, ratio: 50 / 10.4 },
    });
    expectSubscriptions(source.subscriptions).toBe('^ 30006ms !');
  });
});

test('spike: exactly factor × average is not a spike; just above is', () => {
  scheduler().run(({ cold, expectObservable }) => {
    expectObservable(cold('a a x|', { a: 10, x: 30 }).pipe(spike({ factor: 3, minSamples: 2, window: 2 }))).toBe('- - -|');
    expectObservable(cold('a a x|', { a: 10, x: 30.01 }).pipe(spike({ factor: 3, minSamples: 2, window: 2 }))).toBe('- - S|', {
      S: { value: 30.01, sample: 30.01, average: 10, ratio: 30.01 / 10 },
    });
  });
});

test('spike: not before minSamples; a new level stops spiking as it fills the window', () => {
  scheduler().run(({ cold, expectObservable }) => {
    const v = { a: 10, h: 100 };
    // only 2 samples before the first h: too few; later h's become the norm
    const source = cold('a a h h h h h|', v);
    const result = source.pipe(spike({ factor: 2, minSamples: 3, window: 3 }));
    expectObservable(result).toBe('- - - S - - -|', { S: { value: 100, sample: 100, average: 40, ratio: 2.5 } });
  });
});

test('spike: flapping between two levels within factor never fires; minValue filters tiny spikes', () => {
  scheduler().run(({ cold, expectObservable }) => {
    expectObservable(cold('a b a b a b|', { a: 10, b: 20 }).pipe(spike({ factor: 3, minSamples: 2, window: 4 }))).toBe('- - - - - -|');
    const tiny = cold('z z z o|', { z: 0, o: 1 });
    expectObservable(tiny.pipe(spike({ factor: 3, minSamples: 3, window: 3, minValue: 5 }))).toBe('- - - -|');
    expectObservable(tiny.pipe(spike({ factor: 3, minSamples: 3, window: 3 }))).toBe('- - - S|', {
      S: { value: 1, sample: 1, average: 0, ratio: Infinity },
    });
  });
});

test('spike: gaps in time do not matter (window in samples); NaN samples are skipped', () => {
  scheduler().run(({ cold, expectObservable }) => {
    const source = cold('a 60m a 1s n 1s x|', { a: 10, n: NaN, x: 50 });
    expectObservable(source.pipe(spike({ factor: 3, minSamples: 2, window: 2 }))).toBe('- 60m - 1s - 1s S|', {
      S: { value: 50, sample: 50, average: 10, ratio: 5 },
    });
  });
});

test('spike: with a selector over objects', () => {
  scheduler().run(({ cold, expectObservable }) => {
    type M = { conn: number };
    const source = cold('a a b|', { a: { conn: 5 }, b: { conn: 100 } });
    expectObservable(source.pipe(spike({ factor: 3, minSamples: 2, window: 10 }, (m: M) => m.conn))).toBe('- - S|', {
      S: { value: { conn: 100 }, sample: 100, average: 5, ratio: 20 },
    });
  });
});

test('spike: empty, never, source error, throwing selector, early unsubscribe', () => {
  scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
    const err = new Error('upstream');
    const boom = new Error('no field');
    const opts = { factor: 2, minSamples: 1, window: 3 };
    const never = cold<number>('-');
    expectObservable(cold<number>('|').pipe(spike(opts))).toBe('|');
    expectObservable(never.pipe(spike(opts))).toBe('-');
    expectObservable(cold('a b #', { a: 1, b: 5 }, err).pipe(spike(opts))).toBe('- S #', { S: { value: 5, sample: 5, average: 1, ratio: 5 } }, err);
    const s = cold('a 1s b 1s a|', { a: 1, b: 2 });
    const read = (v: number) => {
      if (v === 2) throw boom;
      return v;
    };
    expectObservable(s.pipe(spike(opts, read))).toBe('- 1s #', undefined, boom);
    const long = cold('a 1s a 1m b|', { a: 1, b: 9 });
    expectObservable(long.pipe(spike(opts)), '^ 5s !').toBe('-');
    expectSubscriptions(never.subscriptions).toBe('^');
    expectSubscriptions(s.subscriptions).toBe('^ 1s !');
    expectSubscriptions(long.subscriptions).toBe('^ 5s !');
  });
});
