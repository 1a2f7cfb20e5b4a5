import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { TestScheduler } from 'rxjs/testing';
import { riseRateExceeds } from './riseRateExceeds.js';
import { trackingScheduler } from './testing/trackingScheduler.js';

const scheduler = () => new TestScheduler((actual, expected) => assert.deepEqual(actual, expected));

describe('riseRateExceeds', () => {
  test('fires once the gauge rose too fast in each of the last two intervals, and while it goes on', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      // readings 100 ms apart (each marble takes 1 ms, so `99ms` pads to 100)
      const source = cold('a 99ms b 99ms c 99ms d 99ms e|', { a: 0, b: 50, c: 100, d: 160, e: 160 });
      const expected = '   - 99ms - 99ms R 99ms S 99ms -|';
      expectObservable(source.pipe(riseRateExceeds(100))).toBe(expected, {
        R: { value: 100, ratePerSec: 500 },
        S: { value: 160, ratePerSec: 600 },
      });
      expectSubscriptions(source.subscriptions).toBe('^ 400ms !');
    });
  });

  test('one burst (a build starting its jobs) does not fire; a pause starts the run afresh', () => {
    scheduler().run(({ cold, expectObservable }) => {
      // +64 once, then flat: one fast interval only
      expectObservable(cold('a 99ms b 99ms c 99ms d|', { a: 100, b: 164, c: 164, d: 165 }).pipe(riseRateExceeds(100))).toBe('- 99ms - 99ms - 99ms -|');
      // fast, flat, fast, fast: fires on the 2nd fast after the pause, not before
      expectObservable(cold('a 99ms b 99ms c 99ms d 99ms e|', { a: 0, b: 20, c: 20, d: 40, e: 60 }).pipe(riseRateExceeds(100))).toBe('- 99ms - 99ms - 99ms - 99ms E|', {
        E: { value: 60, ratePerSec: 200 },
      });
    });
  });

  test('exactly at the limit is not over it; a falling gauge never fires', () => {
    scheduler().run(({ cold, expectObservable }) => {
      // +10 per 100 ms = 100/s: at the limit
      expectObservable(cold('a 99ms b 99ms c|', { a: 0, b: 10, c: 20 }).pipe(riseRateExceeds(100))).toBe('- 99ms - 99ms -|');
      expectObservable(cold('a 99ms b 99ms c|', { a: 0, b: 11, c: 22 }).pipe(riseRateExceeds(100))).toBe('- 99ms - 99ms C|', { C: { value: 22, ratePerSec: 110 } });
      expectObservable(cold('a 99ms b 99ms c|', { a: 900, b: 500, c: 100 }).pipe(riseRateExceeds(100))).toBe('- 99ms - 99ms -|');
    });
  });

  test('the rate is per second of scheduler time: the same rise spread over a longer gap is slower', () => {
    scheduler().run(({ cold, expectObservable }) => {
      // +50 in 1 s = 50/s: under 100/s, though +50 in 100 ms would be over
      expectObservable(cold('a 999ms b 999ms c|', { a: 0, b: 50, c: 100 }).pipe(riseRateExceeds(100))).toBe('- 999ms - 999ms -|');
      // intervals: 1 → the first fast interval fires
      expectObservable(cold('a 99ms b|', { a: 0, b: 50 }).pipe(riseRateExceeds(100, { intervals: 1 }))).toBe('- 99ms B|', { B: { value: 50, ratePerSec: 500 } });
    });
  });

  test('a NaN reading (no data) breaks the run; two readings at one instant give no rate', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('a 99ms b 99ms n 99ms c 99ms d|', { a: 0, b: 50, n: NaN, c: 150, d: 200 }).pipe(riseRateExceeds(100))).toBe('- 99ms - 99ms - 99ms - 99ms -|');
      // (ab) arrive at the same virtual instant: no interval between them
      expectObservable(cold('(ab) 98ms c 99ms d|', { a: 0, b: 500, c: 550, d: 600 }).pipe(riseRateExceeds(100))).toBe('---- 98ms - 99ms D|', { D: { value: 600, ratePerSec: 500 } });
    });
  });

  test('empty, never, source error', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const err = new Error('loadavg unreadable');
      expectObservable(cold<number>('|').pipe(riseRateExceeds(1))).toBe('|');
      expectObservable(cold<number>('-').pipe(riseRateExceeds(1))).toBe('-');
      expectObservable(cold('a 99ms b 99ms c 99ms #', { a: 0, b: 50, c: 100 }, err).pipe(riseRateExceeds(100))).toBe('- 99ms - 99ms C 99ms #', { C: { value: 100, ratePerSec: 500 } }, err);
    });
  });

  test('early unsubscribe stops it; it sets no timer', () => {
    const ts = scheduler();
    const tracking = trackingScheduler(ts);
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('a 99ms b 99ms c 99ms d|', { a: 0, b: 50, c: 100, d: 150 });
      expectObservable(source.pipe(riseRateExceeds(100, { scheduler: tracking })), '^ 150ms !').toBe('-'); // unsubscribed at 151 ms, before c (200 ms) completes a run
      expectSubscriptions(source.subscriptions).toBe('^ 150ms !');
    });
    assert.equal(tracking.pending(), 0);
    assert.deepEqual(tracking.ran, []);
  });
});
