import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { TestScheduler } from 'rxjs/testing';
import { crashLoop } from './crashLoop.js';
import { trackingScheduler } from './testing/trackingScheduler.js';

const scheduler = () => new TestScheduler((actual, expected) => assert.deepEqual(actual, expected));

describe('crashLoop', () => {
  test('more than maxRestarts within the window is a loop; counting then starts afresh', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const restarts = cold('r 10s r 10s r 10s r 1m r|');
      const expected = '     - 10s - 10s L 10s - 1m -|';
      expectObservable(restarts.pipe(crashLoop(2, 30_000))).toBe(expected, { L: { key: '', restarts: 3, since: 0, value: 'r' } });
      expectSubscriptions(restarts.subscriptions).toBe('^ 1m 30004ms !');
    });
  });

  test('exactly maxRestarts within the window is within budget; a restart exactly a window old has left it', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('r r r|').pipe(crashLoop(3, 60_000))).toBe('- - -|');
      expectObservable(cold('r 29999ms r 29999ms r 29999ms r|').pipe(crashLoop(2, 60_000))).toBe('- 29999ms - 29999ms - 29999ms -|');
    });
  });

  test('one budget per key; restarts judged on their own time (read back from storage)', () => {
    scheduler().run(({ cold, expectObservable }) => {
      interface R { service: string; at: number }
      const r = (service: string, at: number): R => ({ service, at });
      const source = cold('a b c d e|', { a: r('web', 1000), b: r('db', 1000), c: r('web', 2000), d: r('web', 500_000), e: r('web', 500_001) });
      const loops = source.pipe(crashLoop(1, 60_000, { keyOf: (x) => x.service, timeOf: (x) => x.at }));
      // web: 1000 and 2000 within a minute → loop; 500_000 starts a new count, 500_001 loops again
      expectObservable(loops).toBe('- - C - E|', {
        C: { key: 'web', restarts: 2, since: 1000, value: r('web', 2000) },
        E: { key: 'web', restarts: 2, since: 500_000, value: r('web', 500_001) },
      });
    });
  });

  test('empty, never, source error, a throwing keyOf, early unsubscribe', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const err = new Error('supervisor broke');
      const boom = new Error('bad service');
      expectObservable(cold<string>('|').pipe(crashLoop(1, 1000))).toBe('|');
      expectObservable(cold<string>('-').pipe(crashLoop(1, 1000))).toBe('-');
      expectObservable(cold('r r #', undefined, err).pipe(crashLoop(1, 1000))).toBe('- L #', { L: { key: '', restarts: 2, since: 0, value: 'r' } }, err);
      const s1 = cold('a 1s b|');
      const keyOf = (x: string) => {
        if (x === 'b') throw boom;
        return x;
      };
      expectObservable(s1.pipe(crashLoop(5, 1000, { keyOf }))).toBe('- 1s #', undefined, boom);
      expectSubscriptions(s1.subscriptions).toBe('^ 1s !');
      const s2 = cold('r 1s r 1s r|');
      expectObservable(s2.pipe(crashLoop(1, 60_000)), '^ 500ms !').toBe('-');
      expectSubscriptions(s2.subscriptions).toBe('^ 500ms !');
    });
  });

  test('sets no timer (time is read at restarts only)', () => {
    const ts = scheduler();
    const tracked = trackingScheduler(ts);
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('r 1m r 1m r|').pipe(crashLoop(1, 120_000, { scheduler: tracked }))).toBe('- 1m L 1m -|', {
        L: { key: '', restarts: 2, since: 0, value: 'r' },
      });
    });
    assert.equal(tracked.pending(), 0);
    assert.deepEqual(tracked.ran, []);
  });
});
