import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestScheduler } from 'rxjs/testing';
import { spike } from './spike.js';

const scheduler = () => new TestScheduler((actual, expected) => assert.deepEqual(actual, expected));
type P = { pid: string; cpu: number };
const p = (pid: string, cpu: number): P => ({ pid, cpu });
const opts = { samples: 4, multiplier: 3, keyOf: (x: P) => x.pid, valueOf: (x: P) => x.cpu };
const sp = (pid: string, cpu: number, average: number | null, spiking: boolean) => ({ key: pid, value: p(pid, cpu), average, spiking });

test('spike: above multiplier × its own moving average; the average then catches up', () => {
  scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
    const source = cold('abcde|', { a: [p('9', 10)], b: [p('9', 10)], c: [p('9', 90)], d: [p('9', 90)], e: [p('9', 30)] });
    expectObservable(source.pipe(spike(opts))).toBe('abcde|', {
      a: [sp('9', 10, null, false)],
      b: [sp('9', 10, null, false)],
      c: [sp('9', 90, 10, true)],
      d: [sp('9', 90, 110 / 3, false)],
      e: [sp('9', 30, 190 / 3, false)],
    });
    expectSubscriptions(source.subscriptions).toBe('^----!');
  });
});

test('spike: exactly at multiplier × average is not a spike; a newcomer needs minHistory samples; per key', () => {
  scheduler().run(({ cold, expectObservable }) => {
    const source = cold('abc|', { a: [p('1', 10), p('2', 50)], b: [p('1', 10), p('2', 90)], c: [p('1', 30), p('2', 200)] });
    expectObservable(source.pipe(spike(opts))).toBe('abc|', {
      a: [sp('1', 10, null, false), sp('2', 50, null, false)],
      b: [sp('1', 10, null, false), sp('2', 90, null, false)],
      c: [sp('1', 30, 10, false), sp('2', 200, 70, false)],
    });
    expectObservable(source.pipe(spike({ ...opts, minHistory: 1 }))).toBe('abc|', {
      a: [sp('1', 10, null, false), sp('2', 50, null, false)],
      b: [sp('1', 10, 10, false), sp('2', 90, 50, false)],
      c: [sp('1', 30, 10, false), sp('2', 200, 70, false)],
    });
  });
});

test('spike: empty, never, source error, throwing valueOf, early unsubscribe', () => {
  scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
    expectObservable(cold<P[]>('|').pipe(spike(opts))).toBe('|');
    expectObservable(cold<P[]>('-').pipe(spike(opts))).toBe('-');
    const err = new Error('table read failed');
    expectObservable(cold('a#', { a: [p('1', 1)] }, err).pipe(spike(opts))).toBe('a#', { a: [sp('1', 1, null, false)] }, err);
    const boom = new Error('bad cpu');
    const source = cold('a 1s b|', { a: [p('1', 1)], b: [p('1', -1)] });
    const valueOf = (x: P) => {
      if (x.cpu < 0) throw boom;
      return x.cpu;
    };
    expectObservable(source.pipe(spike({ ...opts, valueOf }))).toBe('a 1s #', { a: [sp('1', 1, null, false)] }, boom);
    expectSubscriptions(source.subscriptions).toBe('^ 1s !');
    const long = cold('a 1m a|', { a: [p('1', 1)] });
    expectObservable(long.pipe(spike(opts)), '^ 2s !').toBe('a', { a: [sp('1', 1, null, false)] });
    expectSubscriptions(long.subscriptions).toBe('^ 2s !');
  });
});
