import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestScheduler } from 'rxjs/testing';
import { escalate, type EscalateOptions } from './escalate.js';

const scheduler = () => new TestScheduler((actual, expected) => assert.deepEqual(actual, expected));

interface Inc {
  key: string;
  severity: 'warning' | 'critical';
  status: 'firing' | 'resolved';
}
const v: Record<string, Inc> = {
  w: { key: 'cpu', severity: 'warning', status: 'firing' },
  C: { key: 'cpu', severity: 'critical', status: 'firing' },
  r: { key: 'cpu', severity: 'warning', status: 'resolved' },
  d: { key: 'disk', severity: 'warning', status: 'firing' },
  D: { key: 'disk', severity: 'critical', status: 'firing' },
};
const base: EscalateOptions<Inc> = {
  after: 3,
  keyOf: (i) => i.key,
  raise: (i) => ({ ...i, severity: 'critical' }),
  resetWhen: (i) => i.status === 'resolved',
};

test('escalate: the after-th repeat and later are raised; a resolve starts the key over', () => {
  scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
    const source = cold('w 5m w 5m w 5m w 5m r 1m w|', v);
    const expected = '   w 5m w 5m C 5m C 5m r 1m w|';
    expectObservable(source.pipe(escalate(base))).toBe(expected, v);
    expectSubscriptions(source.subscriptions).toBe('^ 1260005ms !');
  });
});

test('escalate: exactly at `after` raises, one fewer does not; keys count separately (interleaved)', () => {
  scheduler().run(({ cold, expectObservable }) => {
    expectObservable(cold('w w|', v).pipe(escalate(base))).toBe('w w|', v);
    expectObservable(cold('w d w d w d|', v).pipe(escalate(base))).toBe('w d w d C D|', v);
  });
});

test('escalate: persistMs raises a key that has been occurring that long, even below `after`', () => {
  scheduler().run(({ cold, expectObservable }) => {
    const opts = { ...base, after: 100, persistMs: 600_000 };
    // occurrences at 0, 300001, 600002: the third is 10 min after the first
    expectObservable(cold('w 5m w 5m w|', v).pipe(escalate(opts))).toBe('w 5m w 5m C|', v);
    expectObservable(cold('w 5m w 4m 59997ms w|', v).pipe(escalate(opts))).toBe('w 5m w 4m 59997ms w|', v); // 599 999
  });
});

test('escalate: gaps — a key silent for resetAfterMs starts over (exactly resetAfterMs resets)', () => {
  scheduler().run(({ cold, expectObservable }) => {
    const opts = { ...base, after: 2, resetAfterMs: 600_000 };
    expectObservable(cold('w 10m w|', v).pipe(escalate(opts))).toBe('w 10m w|', v);
    expectObservable(cold('w 9m w|', v).pipe(escalate(opts))).toBe('w 9m C|', v);
    expectObservable(cold('w 599998ms w|', v).pipe(escalate(opts))).toBe('w 599998ms C|', v);
  });
});

test('escalate: empty, never, source error', () => {
  scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
    const err = new Error('upstream');
    const never = cold<Inc>('-');
    expectObservable(cold<Inc>('|').pipe(escalate(base))).toBe('|');
    expectObservable(never.pipe(escalate(base))).toBe('-');
    expectObservable(cold('w w w #', v, err).pipe(escalate(base))).toBe('w w C #', v, err);
    expectSubscriptions(never.subscriptions).toBe('^');
  });
});

test('escalate: a throwing raise errors the stream and unsubscribes the source', () => {
  scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
    const boom = new Error('cannot raise');
    const source = cold('w w w w|', v);
    const raise = () => {
      throw boom;
    };
    expectObservable(source.pipe(escalate({ ...base, raise }))).toBe('w w #', v, boom);
    expectSubscriptions(source.subscriptions).toBe('^ 1ms !'); // raise throws at frame 2
  });
});

test('escalate: state is per subscription; early unsubscribe', () => {
  scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
    const source = cold('w 1s w 1s w 1s w|', v);
    const op = escalate(base);
    expectObservable(source.pipe(op), '^ 1500ms !').toBe('w 1s w', v);
    expectObservable(source.pipe(op)).toBe('w 1s w 1s C 1s C|', v);
    expectSubscriptions(source.subscriptions).toBe(['^ 1500ms !', '^ 3003ms !']);
  });
});
