import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestScheduler } from 'rxjs/testing';
import { concat, map, range, timer, ignoreElements, count, tap } from 'rxjs';
import { countInWindow, type WindowCount } from './countInWindow.js';
import { trackingScheduler } from './testing/trackingScheduler.js';

const scheduler = () => new TestScheduler((actual, expected) => assert.deepEqual(actual, expected));
const self = (x: string) => x;
const c = (key: string, n: number, value = key): WindowCount<string> => ({ key, count: n, value });

test('countInWindow: counts per key over a sliding window', () => {
  scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
    const source = cold('a 9s a 9s b 9s a 39s a|');
    //                   0  9001 18002 27003 66004
    const expected = '   A 9s B 9s C 9s D 39s E|';
    expectObservable(source.pipe(countInWindow(30_000, { keyOf: self }))).toBe(expected, {
      A: c('a', 1),
      B: c('a', 2),
      C: c('b', 1),
      D: c('a', 3),
      E: c('a', 1),
    });
    expectSubscriptions(source.subscriptions).toBe('^ 66004ms !');
  });
});

test('countInWindow: without keyOf everything is one group; an event exactly windowMs old has left', () => {
  scheduler().run(({ cold, expectObservable }) => {
    const source = cold('x 9999ms y 1ms z|'); // x at 0, y at 10000, z at 10002
    expectObservable(source.pipe(countInWindow(10_000))).toBe('A 9999ms B 1ms C|', {
      A: { key: '', count: 1, value: 'x' },
      B: { key: '', count: 1, value: 'y' },
      C: { key: '', count: 2, value: 'z' },
    });
    const justInside = cold('x 9998ms y|'); // y at 9999: x still in
    expectObservable(justInside.pipe(countInWindow(10_000))).toBe('A 9998ms B|', {
      A: { key: '', count: 1, value: 'x' },
      B: { key: '', count: 2, value: 'y' },
    });
  });
});

test('countInWindow: keepEvents attaches the window contents, oldest first', () => {
  scheduler().run(({ cold, expectObservable }) => {
    const source = cold('a 5s b 5s a 5s a|', { a: 'ip1', b: 'ip2' }); // 0, 5001, 10002, 15003
    expectObservable(source.pipe(countInWindow(12_000, { keyOf: self, keepEvents: true }))).toBe('A 5s B 5s C 5s D|', {
      A: { key: 'ip1', count: 1, value: 'ip1', events: ['ip1'] },
      B: { key: 'ip2', count: 1, value: 'ip2', events: ['ip2'] },
      C: { key: 'ip1', count: 2, value: 'ip1', events: ['ip1', 'ip1'] },
      D: { key: 'ip1', count: 2, value: 'ip1', events: ['ip1', 'ip1'] },
    });
  });
});

test('countInWindow: flapping keys interleaved keep separate counts', () => {
  scheduler().run(({ cold, expectObservable }) => {
    const source = cold('a b a b a b|');
    expectObservable(source.pipe(countInWindow(60_000, { keyOf: self }))).toBe('A B C D E F|', {
      A: c('a', 1),
      B: c('b', 1),
      C: c('a', 2),
      D: c('b', 2),
      E: c('a', 3),
      F: c('b', 3),
    });
  });
});

test('countInWindow: during a gap the timer evicts and drops drained keys at the exact expiry', () => {
  const ts = scheduler();
  ts.run(({ cold, expectObservable, flush }) => {
    const drained: [string, number][] = [];
    const tracking = trackingScheduler(ts);
    const source = cold('a 1s b 5m |');
    const counted = source.pipe(countInWindow(30_000, { keyOf: self, scheduler: tracking, onDrained: (k) => drained.push([k, ts.now()]) }));
    expectObservable(counted).toBe('A 1s B 5m |', { A: c('a', 1), B: c('b', 1) });
    flush();
    assert.deepEqual(drained, [
      ['a', 30_000],
      ['b', 31_001],
    ]);
    assert.equal(tracking.pending(), 0, 'no timer left once the window is empty');
  });
});

test('countInWindow: memory bounded — 10,000 distinct keys seen once are all dropped a window later', () => {
  const ts = scheduler();
  ts.run(({ expectObservable, flush }) => {
    const drained = new Set<string>();
    const tracking = trackingScheduler(ts);
    const ips = (n: number) => range(0, n).pipe(map((i) => `10.0.${i >> 8}.${i & 255}`));
    // 10,000 IPs at t=0, then silence, then the first IP again at 2 min
    const source = concat(ips(10_000), timer(120_000).pipe(ignoreElements()), ips(1));
    const counts: number[] = [];
    const result = source.pipe(
      countInWindow(60_000, { keyOf: self, scheduler: tracking, onDrained: (k) => drained.add(k) }),
      tap((w) => counts.push(w.count)),
      count(),
    );
    expectObservable(result).toBe('2m (n|)', { n: 10_001 });
    flush();
    assert.equal(drained.size, 10_000, 'every key drained and forgotten');
    assert.ok(counts.every((n) => n === 1), 'the IP seen again after its window starts from 1');
    assert.equal(tracking.pending(), 0);
  });
});

test('countInWindow: empty, never, source error', () => {
  scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
    const err = new Error('tail broke');
    const empty = cold<string>('|');
    const never = cold<string>('-');
    const failing = cold('a 1s #', undefined, err);
    expectObservable(empty.pipe(countInWindow(1000))).toBe('|');
    expectObservable(never.pipe(countInWindow(1000))).toBe('-');
    expectObservable(failing.pipe(countInWindow(1000, { keyOf: self }))).toBe('A 1s #', { A: c('a', 1) }, err);
    expectSubscriptions(never.subscriptions).toBe('^');
    expectSubscriptions(failing.subscriptions).toBe('^ 1s !');
  });
});

test('countInWindow: a throwing keyOf errors the stream and unsubscribes the source', () => {
  scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
    const boom = new Error('no ip in line');
    const source = cold('a 1s b 1s a|');
    const keyOf = (x: string) => {
      if (x === 'b') throw boom;
      return x;
    };
    expectObservable(source.pipe(countInWindow(60_000, { keyOf }))).toBe('A 1s #', { A: c('a', 1) }, boom);
    expectSubscriptions(source.subscriptions).toBe('^ 1s !');
  });
});

test('countInWindow: a throwing onDrained errors the stream from the eviction timer', () => {
  scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
    const boom = new Error('cleanup failed');
    const source = cold('a 1m |');
    const result = source.pipe(
      countInWindow(10_000, {
        keyOf: self,
        onDrained: () => {
          throw boom;
        },
      }),
    );
    expectObservable(result).toBe('A 9999ms #', { A: c('a', 1) }, boom); // at 10 000 exactly
    expectSubscriptions(source.subscriptions).toBe('^ 9999ms !');
  });
});

test('countInWindow: early unsubscribe tears the eviction timer down; completion too', () => {
  const ts = scheduler();
  ts.run(({ cold, expectObservable, expectSubscriptions, flush }) => {
    const tracking = trackingScheduler(ts);
    const source = cold('a 1s b 1m |');
    expectObservable(source.pipe(countInWindow(30_000, { keyOf: self, scheduler: tracking })), '^ 5s !').toBe('A 1s B', {
      A: c('a', 1),
      B: c('b', 1),
    });
    expectSubscriptions(source.subscriptions).toBe('^ 5s !');
    const completing = cold('a 1s |');
    expectObservable(completing.pipe(countInWindow(30_000, { keyOf: self, scheduler: tracking }))).toBe('A 1s |', { A: c('a', 1) });
    flush();
    assert.equal(tracking.pending(), 0);
    assert.deepEqual(tracking.ran, [], 'no eviction ran after teardown');
  });
});
