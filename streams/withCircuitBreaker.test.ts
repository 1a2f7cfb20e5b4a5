import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestScheduler } from 'rxjs/testing';
import { throwError, type Observable } from 'rxjs';
import { createCircuitBreaker } from './circuitBreaker.js';
import { withCircuitBreaker } from './withCircuitBreaker.js';

const scheduler = () => new TestScheduler((actual, expected) => assert.deepEqual(actual, expected));

test('withCircuitBreaker: failures open the circuit, inputs are rejected, the trial after openDuration closes it', () => {
  const ts = scheduler();
  ts.run(({ cold, expectObservable, expectSubscriptions }) => {
    const boom = new Error('script exit 1');
    const breaker = createCircuitBreaker({ maxFailures: 2, failureWindowMs: 60_000, openDurationMs: 10_000, now: () => ts.now() });
    const source = cold('  a 1s b 1s c 1s d 10s e|');
    //                    a(0) b(1001) c(2002) d(3003) e(13004)
    const action = (x: string): Observable<string> =>
      x === 'a' || x === 'b' ? throwError(() => boom) : cold('500ms (r|)', { r: x.toUpperCase() });
    const result = source.pipe(withCircuitBreaker(breaker, action));
    expectObservable(result).toBe('A 1s B 1s C 1s D 10s 500ms (E|)', {
      A: { outcome: 'failed', input: 'a', error: boom },
      B: { outcome: 'failed', input: 'b', error: boom },
      C: { outcome: 'rejected', input: 'c' },
      D: { outcome: 'rejected', input: 'd' },
      E: { outcome: 'ok', input: 'e', value: 'E' },
    });
    expectSubscriptions(source.subscriptions).toBe('^ 13004ms !');
  });
});

test('withCircuitBreaker: an action that throws synchronously is a failed result, not a stream error', () => {
  const ts = scheduler();
  ts.run(({ cold, expectObservable }) => {
    const boom = new Error('bad input');
    const breaker = createCircuitBreaker({ maxFailures: 5, failureWindowMs: 1000, openDurationMs: 1000, now: () => ts.now() });
    const source = cold('a|');
    const result = source.pipe(
      withCircuitBreaker(breaker, (): Observable<never> => {
        throw boom;
      }),
    );
    expectObservable(result).toBe('a|', { a: { outcome: 'failed', input: 'a', error: boom } });
  });
});

test('withCircuitBreaker: empty, never, source error, early unsubscribe tears down in-flight actions', () => {
  const ts = scheduler();
  ts.run(({ cold, expectObservable, expectSubscriptions }) => {
    const breaker = () => createCircuitBreaker({ maxFailures: 1, failureWindowMs: 1000, openDurationMs: 1000, now: () => ts.now() });
    const slow = cold('5s (r|)', { r: 1 });
    const err = new Error('source broke');
    expectObservable(cold('|').pipe(withCircuitBreaker(breaker(), () => slow))).toBe('|');
    expectObservable(cold('-').pipe(withCircuitBreaker(breaker(), () => slow))).toBe('-');
    expectObservable(cold('a 1s #', undefined, err).pipe(withCircuitBreaker(breaker(), () => slow))).toBe('- 1s #', undefined, err);
    const source = cold('a|');
    expectObservable(source.pipe(withCircuitBreaker(breaker(), () => slow)), '^ 2s !').toBe('-');
    // slow is subscribed by: error case (0..1001), early unsubscribe case (0..2001)
    expectSubscriptions(slow.subscriptions).toBe(['^ 1000ms !', '^ 2s !']);
  });
});

test('withCircuitBreaker: concurrency queues inputs; a breaker per input; isFailure spares the circuit', () => {
  const ts = scheduler();
  ts.run(({ cold, expectObservable }) => {
    const opts = { maxFailures: 1, failureWindowMs: 60_000, openDurationMs: 60_000, now: () => ts.now() };
    const breakers = { x: createCircuitBreaker(opts), y: createCircuitBreaker(opts) };
    const disk = new Error('disk full');
    const broken = new Error('exit 3');
    // inputs: [circuit, what the action does]
    const inputs: Record<string, [keyof typeof breakers, 'disk' | 'broken' | 'ok']> = {
      a: ['x', 'disk'], b: ['x', 'ok'], c: ['y', 'broken'], d: ['y', 'ok'], e: ['x', 'ok'],
    };
    const action = ([, does]: [string, string]): Observable<string> =>
      does === 'ok' ? cold('1s (r|)', { r: 'done' }) : cold('1s #', undefined, does === 'disk' ? disk : broken);
    const source = cold('(abcde)', inputs);
    const result = source.pipe(
      withCircuitBreaker((i: [keyof typeof breakers, string]) => breakers[i[0]], action, { concurrency: 1, isFailure: (e) => e !== disk }),
    );
    // one at a time: a fails on the disk (x stays closed), b runs, c opens y, d is refused, e runs on x
    expectObservable(result).toBe('1s A 999ms B 999ms (CD) 996ms E', {
      A: { outcome: 'failed', input: inputs.a, error: disk },
      B: { outcome: 'ok', input: inputs.b, value: 'done' },
      C: { outcome: 'failed', input: inputs.c, error: broken },
      D: { outcome: 'rejected', input: inputs.d },
      E: { outcome: 'ok', input: inputs.e, value: 'done' },
    });
  });
});
