import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestScheduler } from 'rxjs/testing';
import { sustainedFor, type Sustained } from './sustainedFor.js';

const scheduler = () => new TestScheduler((actual, expected) => assert.deepEqual(actual, expected));
const bools = { t: true, f: false };
const isHeld = (v: boolean) => v;
const h = (value: boolean, sustained: boolean, key = ''): Sustained<boolean> => ({ value, key, held: value, sustained });
const out = { h: h(true, false), S: h(true, true), c: h(false, false) };

test('sustainedFor: sustained once held for the duration (scheduler clock), a false starts over', () => {
  scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
    const source = cold('t 4s t 4s t 4s f 4s t|', bools);
    //                   0   4001 8002 12003 16004
    const expected = '   h 4s h 4s S 4s c 4s h|';
    expectObservable(source.pipe(sustainedFor(8_000, { isHeld }))).toBe(expected, out);
    expectSubscriptions(source.subscriptions).toBe('^ 16004ms !');
  });
});

test('sustainedFor: exactly at the duration is sustained; duration 0 is sustained at once', () => {
  scheduler().run(({ cold, expectObservable }) => {
    expectObservable(cold('t 9999ms t|', bools).pipe(sustainedFor(10_000, { isHeld }))).toBe('h 9999ms S|', out);
    expectObservable(cold('t 9998ms t|', bools).pipe(sustainedFor(10_000, { isHeld }))).toBe('h 9998ms h|', out);
    expectObservable(cold('t f t|', bools).pipe(sustainedFor(0, { isHeld }))).toBe('S c S|', out);
  });
});

test('sustainedFor: timed on the values’ own stamps (timeOf), per key', () => {
  type E = { key: string; ts: number; on: boolean };
  const e = (key: string, ts: number, on: boolean): E => ({ key, ts, on });
  const values = { a: e('/', 0, true), b: e('/var', 0, true), c: e('/', 30_000, true), d: e('/var', 30_000, false), f: e('/', 60_000, true) };
  scheduler().run(({ cold, expectObservable }) => {
    // virtual time barely moves; the stamps say 30 s and 60 s passed
    const source = cold('abcdf|', values);
    const result = source.pipe(sustainedFor(60_000, { isHeld: (x: E) => x.on, keyOf: (x) => x.key, timeOf: (x) => x.ts }));
    expectObservable(result).toBe('abcdf|', {
      a: { value: values.a, key: '/', held: true, sustained: false },
      b: { value: values.b, key: '/var', held: true, sustained: false },
      c: { value: values.c, key: '/', held: true, sustained: false },
      d: { value: values.d, key: '/var', held: false, sustained: false },
      f: { value: values.f, key: '/', held: true, sustained: true },
    });
  });
});

test('sustainedFor: heldFromOf starts a run at its first value\'s window, not at its time (a windowed average)', () => {
  type W = { on: boolean; since: number };
  // each value averages the 4 s before it (since: the window's start)
  const values = { a: { on: true, since: -4_000 }, b: { on: true, since: 1 }, c: { on: true, since: 4_002 }, f: { on: false, since: 8_003 }, g: { on: true, since: 12_004 } };
  const held = (value: W, sustained: boolean) => ({ value, key: '', held: value.on, sustained });
  const out = { h: held(values.a, false), S: held(values.b, true), T: held(values.c, true), c: held(values.f, false), i: held(values.g, false) };
  scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
    const source = cold('a 4s b 4s c 4s f 4s g|', values);
    //                   0   4001 8002 12003 16004
    // held since -4000 (a's window): 8 s at b; later windows do not move the run's start; after f, g's run starts at its window (12004)
    expectObservable(source.pipe(sustainedFor(8_000, { isHeld: (v: W) => v.on, heldFromOf: (v) => v.since }))).toBe('h 4s S 4s T 4s c 4s i|', out);
    expectSubscriptions(source.subscriptions).toBe('^ 16004ms !');
    // the default counts from each value's time: sustained only at c
    expectObservable(cold('a 4s b 4s c|', values).pipe(sustainedFor(8_000, { isHeld: (v: W) => v.on }))).toBe('h 4s x 4s T|', { ...out, x: held(values.b, false) });
  });
});

test('sustainedFor: a throwing heldFromOf errors the stream and unsubscribes', () => {
  scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
    const boom = new Error('no window');
    const source = cold('t t|', bools);
    const heldFromOf = () => {
      throw boom;
    };
    expectObservable(source.pipe(sustainedFor(1000, { isHeld, heldFromOf }))).toBe('#', undefined, boom);
    expectSubscriptions(source.subscriptions).toBe('(^!)');
  });
});

test('sustainedFor: a silence neither completes a duration nor drops it (judged at evaluations)', () => {
  scheduler().run(({ cold, expectObservable }) => {
    expectObservable(cold('t 60m -|', bools).pipe(sustainedFor(10_000, { isHeld }))).toBe('h 60m -|', out);
    expectObservable(cold('t 60m t|', bools).pipe(sustainedFor(10_000, { isHeld }))).toBe('h 60m S|', out);
  });
});

test('sustainedFor: empty, never, source error', () => {
  scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
    const err = new Error('upstream');
    const never = cold<boolean>('-');
    expectObservable(cold<boolean>('|').pipe(sustainedFor(1000, { isHeld }))).toBe('|');
    expectObservable(never.pipe(sustainedFor(1000, { isHeld }))).toBe('-');
    expectSubscriptions(never.subscriptions).toBe('^');
    expectObservable(cold('t #', bools, err).pipe(sustainedFor(0, { isHeld }))).toBe('S #', out, err);
  });
});

test('sustainedFor: a throwing predicate errors the stream and unsubscribes', () => {
  scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
    const boom = new Error('bad');
    const source = cold('a b c|', { a: 1, b: -1, c: 2 });
    const held = (v: number) => {
      if (v < 0) throw boom;
      return true;
    };
    expectObservable(source.pipe(sustainedFor(0, { isHeld: held }))).toBe('a #', { a: { value: 1, key: '', held: true, sustained: true } }, boom);
    expectSubscriptions(source.subscriptions).toBe('^ !');
  });
});

test('sustainedFor: early unsubscribe; state is per subscription', () => {
  scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
    const source = cold('t 5s t 5s t|', bools);
    const op = source.pipe(sustainedFor(5_000, { isHeld }));
    expectObservable(op, '^ 3s !').toBe('h', out);
    expectSubscriptions(source.subscriptions).toBe(['^ 3s !', '^ 10002ms !']);
    expectObservable(op).toBe('h 5s S 5s S|', out);
  });
});
