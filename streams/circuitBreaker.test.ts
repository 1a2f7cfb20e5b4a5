import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestScheduler } from 'rxjs/testing';
import { map } from 'rxjs';
import { createCircuitBreaker } from './circuitBreaker.js';

const scheduler = () => new TestScheduler((actual, expected) => assert.deepEqual(actual, expected));

/** A breaker over a hand-moved clock (the state machine itself has no timers). */
const manual = (o: { maxFailures?: number; failureWindowMs?: number; openDurationMs?: number } = {}) => {
  let t = 0;
  const breaker = createCircuitBreaker({
    maxFailures: o.maxFailures ?? 3,
    failureWindowMs: o.failureWindowMs ?? 60_000,
    openDurationMs: o.openDurationMs ?? 30_000,
    now: () => t,
  });
  return { breaker, at: (ms: number) => void (t = ms) };
};

test('closed → open after exactly maxFailures failures in the window, not one fewer', () => {
  const { breaker, at } = manual();
  at(0);
  breaker.recordFailure();
  at(1000);
  breaker.recordFailure();
  assert.equal(breaker.state, 'closed');
  assert.equal(breaker.canRun(), true);
  at(2000);
  breaker.recordFailure();
  assert.equal(breaker.state, 'open');
  assert.equal(breaker.canRun(), false);
});

test('failures older than the window do not count (edge: exactly failureWindowMs old has left)', () => {
  const { breaker, at } = manual({ maxFailures: 2, failureWindowMs: 10_000 });
  at(0);
  breaker.recordFailure();
  at(10_000);
  breaker.recordFailure();
  assert.equal(breaker.state, 'closed');
  at(19_999);
  breaker.recordFailure();
  assert.equal(breaker.state, 'open');
});

test('successes in closed state do not wipe the count: a flapping action still opens', () => {
  const { breaker, at } = manual({ maxFailures: 2 });
  at(0);
  breaker.recordFailure();
  breaker.recordSuccess();
  at(5);
  breaker.recordFailure();
  assert.equal(breaker.state, 'open');
});

test('open → half-open after openDurationMs → exactly one trial; success closes', () => {
  const { breaker, at } = manual({ maxFailures: 1, openDurationMs: 30_000 });
  at(100);
  breaker.recordFailure();
  at(30_099);
  assert.equal(breaker.state, 'open');
  assert.equal(breaker.canRun(), false);
  at(30_100);
  assert.equal(breaker.state, 'half-open');
  assert.equal(breaker.canRun(), true);
  assert.equal(breaker.canRun(), false, 'only one trial at a time');
  breaker.recordSuccess();
  assert.equal(breaker.state, 'closed');
  assert.equal(breaker.canRun(), true);
  assert.equal(breaker.canRun(), true);
});

test('a failed trial opens the circuit for another full openDurationMs', () => {
  const { breaker, at } = manual({ maxFailures: 1, openDurationMs: 1000 });
  at(0);
  breaker.recordFailure();
  at(1000);
  assert.equal(breaker.canRun(), true);
  at(1500);
  breaker.recordFailure();
  assert.equal(breaker.state, 'open');
  at(2499);
  assert.equal(breaker.canRun(), false);
  at(2500);
  assert.equal(breaker.canRun(), true);
});

test('a trial never recorded is presumed lost after openDurationMs; a late failure while open is ignored', () => {
  const { breaker, at } = manual({ maxFailures: 1, openDurationMs: 1000 });
  at(0);
  breaker.recordFailure();
  breaker.recordFailure(); // late result while open: no effect on openedAt
  at(1000);
  assert.equal(breaker.canRun(), true);
  at(1999);
  assert.equal(breaker.canRun(), false);
  at(2000);
  assert.equal(breaker.canRun(), true);
});

test('on a TestScheduler clock: open for 5s of virtual time, then one trial', () => {
  const ts = scheduler();
  ts.run(({ cold, expectObservable }) => {
    const breaker = createCircuitBreaker({ maxFailures: 1, failureWindowMs: 1000, openDurationMs: 5000, now: () => ts.now() });
    breaker.recordFailure(); // at 0
    const attempts = cold('a 4s b 997ms c d e|'); // c at 4999, d at 5000
    const expected = '     a 4s b 997ms c d e|';
    expectObservable(attempts.pipe(map(() => breaker.canRun()))).toBe(expected, { a: false, b: false, c: false, d: true, e: false });
  });
});
