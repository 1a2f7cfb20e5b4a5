import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestScheduler } from 'rxjs/testing';
import { hysteresis, type Transition } from './hysteresis.js';

const scheduler = () => new TestScheduler((actual, expected) => assert.deepEqual(actual, expected));

const above90 = (v: number) => v > 90;
const tr = (state: 'firing' | 'resolved', value: number, since: number, at: number, key = ''): Transition<number> => ({ key, state, value, since, at });

test('hysteresis: fires once, resolves once after clearAfter consecutive clear ticks', () => {
  scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
    const values = { a: 95, b: 96, c: 70, d: 97, e: 60, f: 61, g: 62 };
    const source = cold('a 9s b 9s c 9s d 9s e 9s f 9s g|', values);
    //                   0   9001 18002 27003 36004 45005 54006
    const expected = '   F 9s - 9s - 9s - 9s - 9s - 9s R|';
    expectObservable(source.pipe(hysteresis({ isFiring: above90, clearAfter: 3 }))).toBe(expected, {
      F: tr('firing', 95, 0, 0),
      R: tr('resolved', 62, 0, 54_006),
    });
    expectSubscriptions(source.subscriptions).toBe('^ 54006ms !');
  });
});

test('hysteresis: exactly at the limit is not firing (the predicate decides); default clears on the first clear tick', () => {
  scheduler().run(({ cold, expectObservable }) => {
    const source = cold('a b c d|', { a: 90, b: 91, c: 90, d: 91 });
    expectObservable(source.pipe(hysteresis({ isFiring: above90 }))).toBe('- F R G|', {
      F: tr('firing', 91, 1, 1),
      R: tr('resolved', 90, 1, 2),
      G: tr('firing', 91, 3, 3),
    });
  });
});

test('hysteresis: flapping across the limit with a clear threshold — one firing, one resolved', () => {
  scheduler().run(({ cold, expectObservable }) => {
    const values = { h: 91, m: 89, l: 79 };
    const source = cold('h m h m h m h m l|', values);
    const result = source.pipe(hysteresis({ isFiring: above90, isClear: (v) => v < 80 }));
    expectObservable(result).toBe('F - - - - - - - R|', {
      F: tr('firing', 91, 0, 0),
      R: tr('resolved', 79, 0, 8),
    });
  });
});

test('hysteresis: dead-band values restart the clear count', () => {
  scheduler().run(({ cold, expectObservable }) => {
    const values = { h: 95, m: 85, l: 70 };
    const source = cold('h l m l l|', values);
    const result = source.pipe(hysteresis({ isFiring: above90, isClear: (v) => v < 80, clearAfter: 2 }));
    expectObservable(result).toBe('F - - - R|', { F: tr('firing', 95, 0, 0), R: tr('resolved', 70, 0, 4) });
  });
});

test('hysteresis: clearAfterMs — the clear run must last that long, judged at ticks', () => {
  scheduler().run(({ cold, expectObservable }) => {
    const values = { h: 95, l: 10 };
    const source = cold('h 1s l 29s l 1s l|', values); // l at 1001, 30002, 31003
    const result = source.pipe(hysteresis({ isFiring: above90, clearAfterMs: 30_000 }));
    expectObservable(result).toBe('F 1s - 29s - 1s R|', { F: tr('firing', 95, 0, 0), R: tr('resolved', 10, 0, 31_003) });
  });
});

test('hysteresis: per key; gaps never resolve (a silent key stays firing)', () => {
  scheduler().run(({ cold, expectObservable }) => {
    type M = { mount: string; pct: number };
    const values: Record<string, M> = { r: { mount: '/', pct: 95 }, v: { mount: '/var', pct: 99 }, c: { mount: '/', pct: 10 } };
    const source = cold('r v 60m c|', values);
    const result = source.pipe(hysteresis({ keyOf: (m: M) => m.mount, isFiring: (m) => m.pct > 90 }));
    expectObservable(result).toBe('A B 60m C|', {
      A: { key: '/', state: 'firing', value: values.r, since: 0, at: 0 },
      B: { key: '/var', state: 'firing', value: values.v, since: 1, at: 1 },
      C: { key: '/', state: 'resolved', value: values.c, since: 0, at: 3_600_002 },
    });
  });
});

test('hysteresis: empty, never, source error, completion while firing emits nothing more', () => {
  scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
    const err = new Error('upstream');
    const never = cold<number>('-');
    expectObservable(cold<number>('|').pipe(hysteresis({ isFiring: above90 }))).toBe('|');
    expectObservable(never.pipe(hysteresis({ isFiring: above90 }))).toBe('-');
    expectObservable(cold('a #', { a: 99 }, err).pipe(hysteresis({ isFiring: above90 }))).toBe('F #', { F: tr('firing', 99, 0, 0) }, err);
    expectObservable(cold('a|', { a: 99 }).pipe(hysteresis({ isFiring: above90 }))).toBe('F|', { F: tr('firing', 99, 0, 0) });
    expectSubscriptions(never.subscriptions).toBe('^');
  });
});

test('hysteresis: a throwing predicate errors the stream and unsubscribes', () => {
  scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
    const boom = new Error('bad metric');
    const source = cold('a 1s b 1s c|', { a: 95, b: -1, c: 10 });
    const isClear = (v: number) => {
      if (v < 0) throw boom;
      return v < 80;
    };
    expectObservable(source.pipe(hysteresis({ isFiring: above90, isClear }))).toBe('F 1s #', { F: tr('firing', 95, 0, 0) }, boom);
    expectSubscriptions(source.subscriptions).toBe('^ 1s !');
  });
});

test('hysteresis: early unsubscribe', () => {
  scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
    const source = cold('a 1s b 1m c|', { a: 95, b: 96, c: 10 });
    expectObservable(source.pipe(hysteresis({ isFiring: above90 })), '^ 5s !').toBe('F', { F: tr('firing', 95, 0, 0) });
    expectSubscriptions(source.subscriptions).toBe('^ 5s !');
  });
});

test('hysteresis: repeat — every firing evaluation comes out, with the episode start', () => {
  scheduler().run(({ cold, expectObservable }) => {
    const values = { a: 95, b: 96, c: 70, d: 97, e: 60, f: 61, g: 62 };
    const source = cold('a b c d e f g|', values);
    expectObservable(source.pipe(hysteresis({ isFiring: above90, clearAfter: 3, repeat: true }))).toBe('A B - D - - R|', {
      A: tr('firing', 95, 0, 0),
      B: tr('firing', 96, 0, 1),
      D: tr('firing', 97, 0, 3),
      R: tr('resolved', 62, 0, 6),
    });
  });
});

test('hysteresis: isGone resolves a firing key at once and ignores a quiet one', () => {
  scheduler().run(({ cold, expectObservable }) => {
    type M = { mount: string; pct: number; gone?: boolean };
    const values: Record<string, M> = {
      r: { mount: '/', pct: 95 },
      g: { mount: '/', pct: 95, gone: true },
      q: { mount: '/q', pct: 10, gone: true },
      x: { mount: '/x', pct: 99, gone: true },
    };
    const source = cold('r q g x|', values);
    const result = source.pipe(hysteresis({ keyOf: (m: M) => m.mount, isFiring: (m) => m.pct > 90, isGone: (m) => m.gone === true, clearAfter: 3 }));
    expectObservable(result).toBe('A - R -|', {
      A: { key: '/', state: 'firing', value: values.r, since: 0, at: 0 },
      R: { key: '/', state: 'resolved', value: values.g, since: 0, at: 2 },
    });
  });
});

test('hysteresis: timeOf stamps transitions and measures clearAfterMs on the values’ own times', () => {
  scheduler().run(({ cold, expectObservable }) => {
    type E = { v: number; ts: number };
    const values: Record<string, E> = { a: { v: 95, ts: 1000 }, b: { v: 10, ts: 20_000 }, c: { v: 10, ts: 51_000 } };
    const source = cold('abc|', values);
    const result = source.pipe(hysteresis({ isFiring: (e: E) => e.v > 90, clearAfterMs: 30_000, timeOf: (e) => e.ts }));
    expectObservable(result).toBe('a-c|', {
      a: { key: '', state: 'firing', value: values.a, since: 1000, at: 1000 },
      c: { key: '', state: 'resolved', value: values.c, since: 1000, at: 51_000 },
    });
  });
});
