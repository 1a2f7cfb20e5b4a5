import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestScheduler } from 'rxjs/testing';
import { takeUntil } from 'rxjs';
import { dutyCycle } from './dutyCycle.js';
import { trackingScheduler } from './testing/trackingScheduler.js';

const scheduler = () => new TestScheduler((actual, expected) => assert.deepEqual(actual, expected));
const phases = { s: 'stop', r: 'run' };

test('dutyCycle: runs share × period, stops for the rest, period after period', () => {
  scheduler().run(({ expectObservable }) => {
    expectObservable(dutyCycle({ periodMs: 10, share: 0.3 }), '^ 35ms !').toBe('---s------r--s------r--s------r--s-', phases);
  });
});

test('dutyCycle: minute-long rhythms read in time progression', () => {
  scheduler().run(({ expectObservable }) => {
    // 1 min period, 25 %: stop at 15 s, run at 60 s, stop at 75 s
    expectObservable(dutyCycle({ periodMs: 60_000, share: 0.25 }), '^ 80s !').toBe('15s s 44999ms r 14999ms s', phases);
  });
});

test('dutyCycle: ends when the caller says (takeUntil), and unsubscribing tears its timers down', () => {
  const ts = scheduler();
  ts.run(({ hot, expectObservable, expectSubscriptions }) => {
    const tracking = trackingScheduler(ts);
    const resolved = hot('------------x');
    expectObservable(dutyCycle({ periodMs: 10, share: 0.5, scheduler: tracking }).pipe(takeUntil(resolved))).toBe('-----s----r-|', phases);
    expectSubscriptions(resolved.subscriptions).toBe('^-----------!');
  });
});

test('dutyCycle: nothing runs after an early unsubscribe', () => {
  const ts = scheduler();
  const tracking = trackingScheduler(ts);
  ts.run(({ expectObservable }) => {
    expectObservable(dutyCycle({ periodMs: 10, share: 0.5, scheduler: tracking }), '^ 4ms !').toBe('-----', phases);
  });
  assert.equal(tracking.pending(), 0, 'no timer left');
  assert.ok(tracking.ran.every((t) => t <= 4), `nothing ran after the unsubscription: ${tracking.ran.join(',')}`);
});

test('dutyCycle: extreme shares keep both phases at least 1 ms', () => {
  scheduler().run(({ expectObservable }) => {
    expectObservable(dutyCycle({ periodMs: 4, share: 0.01 }), '^ 9ms !').toBe('-s--rs--rs', phases);
    expectObservable(dutyCycle({ periodMs: 4, share: 0.99 }), '^ 9ms !').toBe('---sr--sr-', phases);
  });
});

test('dutyCycle: a share outside (0, 1) or a tiny period is refused at once', () => {
  for (const share of [0, 1, -0.5, 1.5, Number.NaN]) assert.throws(() => dutyCycle({ periodMs: 100, share }), RangeError);
  assert.throws(() => dutyCycle({ periodMs: 1, share: 0.5 }), /periodMs/);
});
