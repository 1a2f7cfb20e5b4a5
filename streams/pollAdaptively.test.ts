import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { TestScheduler } from 'rxjs/testing';
import { pollAdaptively } from './pollAdaptively.js';
import { trackingScheduler } from './testing/trackingScheduler.js';

const scheduler = () => new TestScheduler((actual, expected) => assert.deepEqual(actual, expected));

/** A gauge read from a script of values (the last one repeats), and when each read happened. */
const gauge = (values: number[], now: () => number) => {
  const at: number[] = [];
  let i = 0;
  return {
    at,
    read: () => {
      at.push(now());
      return values[Math.min(i++, values.length - 1)]!;
    },
  };
};

/** urgent: rose by more than 5 since the reading before */
const rose = (n: number, prev: number | undefined) => prev !== undefined && n - prev > 5;

describe('pollAdaptively', () => {
  test('slow while quiet, fast from an urgent reading on, slow again once calm for calmForMs', () => {
    const ts = scheduler();
    ts.run(({ expectObservable }) => {
      const g = gauge([0, 0, 9, 18, 27, 27, 27, 27, 27, 27], () => ts.now());
      const opts = { slowMs: 30, fastMs: 10, calmForMs: 40, urgent: rose, scheduler: ts };
      // 30 apart while quiet; c (+9) is urgent: 10 apart; e is the last rise (110 ms):
      // fast until 40 ms after it, so the delay after i (150 ms) is the first slow one again
      const expected = '30ms a 29ms b 29ms c 9ms d 9ms e 9ms f 9ms g 9ms h 9ms i 29ms j 29ms k';
      expectObservable(pollAdaptively(g.read, opts), '^ 220ms !').toBe(expected, { a: 0, b: 0, c: 9, d: 18, e: 27, f: 27, g: 27, h: 27, i: 27, j: 27, k: 27 });
      ts.flush();
      assert.deepEqual(g.at, [30, 60, 90, 100, 110, 120, 130, 140, 150, 180, 210]);
    });
  });

  test('an urgent reading while fast keeps it fast: calmForMs runs from the last one', () => {
    const ts = scheduler();
    ts.run(({ expectObservable }) => {
      const g = gauge([0, 10, 10, 10, 20, 20, 20, 20, 20], () => ts.now());
      // b rises (80 ms): fast; e rises again (110 ms): fast until 140, then slow
      expectObservable(pollAdaptively(g.read, { slowMs: 40, fastMs: 10, calmForMs: 30, urgent: rose, scheduler: ts }), '^ 190ms !').toBe(
        '40ms a 39ms b 9ms c 9ms d 9ms e 9ms f 9ms g 9ms h 39ms i',
        { a: 0, b: 10, c: 10, d: 10, e: 20, f: 20, g: 20, h: 20, i: 20 },
      );
    });
  });

  test('the urgent function gets the reading before and the time between them', () => {
    const ts = scheduler();
    ts.run(({ expectObservable }) => {
      const seen: [number, number | undefined, number][] = [];
      const g = gauge([1, 2, 3], () => ts.now());
      expectObservable(
        pollAdaptively(g.read, {
          slowMs: 20, fastMs: 5, calmForMs: 100, scheduler: ts,
          urgent: (n, prev, ms) => {
            seen.push([n, prev, ms]);
            return n === 2;
          },
        }),
        '^ 45ms !',
      ).toBe('20ms a 19ms b 4ms c', { a: 1, b: 2, c: 3 });
      ts.flush();
      assert.deepEqual(seen, [[1, undefined, 0], [2, 1, 20], [3, 2, 5]]);
    });
  });

  test('a read that throws errors the stream; so does an urgent function that throws', () => {
    scheduler().run(({ expectObservable }) => {
      const err = new Error('loadavg unreadable');
      let n = 0;
      const read = () => {
        if (++n === 2) throw err;
        return n;
      };
      expectObservable(pollAdaptively(read, { slowMs: 10, fastMs: 5, calmForMs: 10, urgent: () => false })).toBe('10ms a 9ms #', { a: 1 }, err);
      expectObservable(
        pollAdaptively(() => 1, {
          slowMs: 10, fastMs: 5, calmForMs: 10,
          urgent: () => {
            throw err;
          },
        }),
      ).toBe('10ms #', undefined, err);
    });
  });

  test('never completes by itself; unsubscribing tears its timer down and stops the reads', () => {
    const ts = scheduler();
    const tracking = trackingScheduler(ts);
    ts.run(({ expectObservable }) => {
      const g = gauge([0, 9, 18], () => ts.now());
      expectObservable(pollAdaptively(g.read, { slowMs: 20, fastMs: 5, calmForMs: 50, urgent: rose, scheduler: tracking }), '^ 42ms !').toBe('20ms a 19ms b', { a: 0, b: 9 });
      ts.flush();
      assert.deepEqual(g.at, [20, 40]);
    });
    assert.equal(tracking.pending(), 0);
  });

  test('each subscription has its own readings and cadence', () => {
    scheduler().run(({ expectObservable }) => {
      let n = 0;
      const p$ = pollAdaptively(() => (n += 10), { slowMs: 20, fastMs: 5, calmForMs: 100, urgent: rose });
      expectObservable(p$, '^ 30ms !').toBe('20ms a', { a: 10 });
      // subscribed later: its first reading also comes slowMs after it subscribed
      expectObservable(p$, '-- ^ 30ms !').toBe('-- 20ms b', { b: 20 });
    });
  });
});
