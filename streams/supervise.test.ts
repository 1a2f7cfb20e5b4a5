import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestScheduler } from 'rxjs/testing';
import { defer, type Observable } from 'rxjs';
import { supervise } from './supervise.js';
import { trackingScheduler } from './testing/trackingScheduler.js';

const scheduler = () => new TestScheduler((actual, expected) => assert.deepEqual(actual, expected));
const err = new Error('tail: file vanished');

test('supervise: retries with 1s, 2s backoff and gives up on the 3rd consecutive failure (defaults)', () => {
  const ts = scheduler();
  ts.run(({ cold, expectObservable, expectSubscriptions, flush }) => {
    const failures: [number, number | null, number][] = [];
    const source = cold('1s #', undefined, err);
    const result = source.pipe(supervise({ onFailure: (e, attempt, delayMs) => failures.push([attempt, delayMs, ts.now()]) }));
    expectObservable(result).toBe('6s #', undefined, err);
    expectSubscriptions(source.subscriptions).toBe(['^ 999ms !', '2s ^ 999ms !', '5s ^ 999ms !']);
    flush();
    assert.deepEqual(failures, [
      [1, 1000, 1000],
      [2, 2000, 3000],
      [3, null, 6000],
    ]);
  });
});

test('supervise: the delay doubles up to maxDelayMs', () => {
  const ts = scheduler();
  ts.run(({ cold, expectObservable, flush }) => {
    const delays: (number | null)[] = [];
    const source = cold('#', undefined, err);
    const result = source.pipe(
      supervise({ initialDelayMs: 1000, maxDelayMs: 3000, maxConsecutiveFailures: 5, onFailure: (_e, _n, d) => delays.push(d) }),
    );
    expectObservable(result).toBe('9s #', undefined, err); // 1 + 2 + 3 + 3 s of waiting
    flush();
    assert.deepEqual(delays, [1000, 2000, 3000, 3000, null]);
  });
});

test('supervise: a value resets the consecutive count and the delay', () => {
  scheduler().run(({ cold, expectObservable }) => {
    const runs: Observable<string>[] = [cold('#', undefined, err), cold('#', undefined, err), cold('a #', undefined, err), cold('#', undefined, err), cold('#', undefined, err), cold('#', undefined, err)];
    let n = 0;
    const source = defer(() => runs[n++]!);
    // fail 0, fail 1000, value 3000 (reset) + fail 3001, fail 4001, fail 6001 → give up
    expectObservable(source.pipe(supervise())).toBe('3s a 3000ms #', { a: 'a' }, err);
  });
});

test('supervise: exactly maxConsecutiveFailures gives up; 1 means no retry at all', () => {
  scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
    const source = cold('1s #', undefined, err);
    expectObservable(source.pipe(supervise({ maxConsecutiveFailures: 1 }))).toBe('1s #', undefined, err);
    expectSubscriptions(source.subscriptions).toBe('^ 999ms !');
  });
});

test('supervise: flapping source (value then error, forever) is retried forever at the initial delay', () => {
  scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
    const source = cold('a #', undefined, err);
    expectObservable(source.pipe(supervise()), '^ 3500ms !').toBe('a 1000ms a 1000ms a 1000ms a', { a: 'a' });
    expectSubscriptions(source.subscriptions).toBe(['^!', '1001ms ^!', '2002ms ^!', '3003ms ^!']); // the retry due at 4004 is cancelled
  });
});

test('supervise: completion, empty and never pass through', () => {
  scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
    const never = cold('-');
    expectObservable(cold('a 1s b|').pipe(supervise())).toBe('a 1s b|');
    expectObservable(cold('|').pipe(supervise())).toBe('|');
    expectObservable(never.pipe(supervise())).toBe('-');
    expectSubscriptions(never.subscriptions).toBe('^');
  });
});

test('supervise: a throwing onFailure errors the output with its own error, no retry', () => {
  scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
    const boom = new Error('alert failed');
    const source = cold('1s #', undefined, err);
    const result = source.pipe(
      supervise({
        onFailure: () => {
          throw boom;
        },
      }),
    );
    expectObservable(result).toBe('1s #', undefined, boom);
    expectSubscriptions(source.subscriptions).toBe('^ 999ms !');
  });
});

test('supervise: early unsubscribe during the backoff cancels the retry timer', () => {
  const ts = scheduler();
  ts.run(({ cold, expectObservable, expectSubscriptions, flush }) => {
    const tracking = trackingScheduler(ts);
    const source = cold('1s #', undefined, err);
    expectObservable(source.pipe(supervise({ scheduler: tracking })), '^ 1500ms !').toBe('-');
    expectSubscriptions(source.subscriptions).toBe('^ 999ms !');
    flush();
    assert.equal(tracking.pending(), 0);
    assert.deepEqual(tracking.ran, []);
  });
});
