import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestScheduler } from 'rxjs/testing';
import { sustainedFor } from './sustainedFor.js';
import { trackingScheduler } from './testing/trackingScheduler.js';

const scheduler = () => new TestScheduler((actual, expected) => assert.deepEqual(actual, expected));
const bools = { t: true, f: false, T: true, F: false };

test('sustainedFor: true after the duration, false once when it drops, a short second run is ignored', () => {
  scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
    const source = cold('t 4s t 4s t 4s t 4s f 4s t 4s f|', bools);
    //                   0   4001 8002 12003 16004 20005 24006 |24007
    const expected = '   10s T 6003ms F 8002ms |';
    expectObservable(source.pipe(sustainedFor(10_000))).toBe(expected, bools);
    expectSubscriptions(source.subscriptions).toBe('^ 24006ms !');
  });
});

test('sustainedFor: the default scheduler is asyncScheduler (virtual inside run)', () => {
  scheduler().run(({ cold, expectObservable }) => {
    expectObservable(cold('t 1m |', bools).pipe(sustainedFor(10_000))).toBe('10s T 50s |', bools);
  });
});

test('sustainedFor: exactly at the duration — a false at that instant wins, one ms later it does not', () => {
  scheduler().run(({ cold, expectObservable }) => {
    expectObservable(cold('t 9999ms f|', bools).pipe(sustainedFor(10_000))).toBe('10001ms |', bools);
    expectObservable(cold('t 10s    f|', bools).pipe(sustainedFor(10_000))).toBe('10s T F |', bools);
  });
});

test('sustainedFor: flapping shorter than the duration never fires; duration 0 passes changes through', () => {
  scheduler().run(({ cold, expectObservable }) => {
    const flapping = cold('t 1s f 1s t 1s f 1s t 1s f|', bools);
    expectObservable(flapping.pipe(sustainedFor(2_000))).toBe(' - 1s - 1s - 1s - 1s - 1s -|');
    expectObservable(flapping.pipe(sustainedFor(0))).toBe('    T 1s F 1s T 1s F 1s T 1s F|', bools);
    const repeats = cold(' f t t f f t|', bools);
    expectObservable(repeats.pipe(sustainedFor(0))).toBe('- T - F - T|', bools);
  });
});

test('sustainedFor: gaps — silence after true is sample-and-hold; maxGapMs turns a silence into a drop', () => {
  const ts = scheduler();
  ts.run(({ cold, expectObservable }) => {
    // one true, then nothing for a minute: held, fires at 10 s
    expectObservable(cold('t 1m |', bools).pipe(sustainedFor(10_000, ts))).toBe('10s T 50s |', bools);
    // maxGapMs 5s: the lone true goes stale at 5 s, before the 10 s duration
    expectObservable(cold('t 1m |', bools).pipe(sustainedFor(10_000, { scheduler: ts, maxGapMs: 5_000 }))).toBe('1m 1ms |');
    // ticks every 3 s keep it alive; after the last tick (12 s) a 20 s silence drops it at 17 s
    const ticks = cold('t 2999ms t 2999ms t 2999ms t 2999ms t 20s |', bools);
    expectObservable(ticks.pipe(sustainedFor(10_000, { scheduler: ts, maxGapMs: 5_000 }))).toBe('10s T 6999ms F 15000ms |', bools);
  });
});

test('sustainedFor: empty, never, never-completing with a held true', () => {
  scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
    const empty = cold<boolean>('|');
    const never = cold<boolean>('-');
    expectObservable(empty.pipe(sustainedFor(1000))).toBe('|');
    expectObservable(never.pipe(sustainedFor(1000))).toBe('-');
    expectObservable(cold('t -', bools).pipe(sustainedFor(1000))).toBe('1s T', bools);
    expectSubscriptions(empty.subscriptions).toBe('(^!)');
    expectSubscriptions(never.subscriptions).toBe('^');
  });
});

test('sustainedFor: completion discards a pending run and cancels its timer', () => {
  const ts = scheduler();
  ts.run(({ cold, expectObservable, flush }) => {
    const tracking = trackingScheduler(ts);
    expectObservable(cold('t 1s |', bools).pipe(sustainedFor(5_000, tracking))).toBe('- 1s |');
    flush();
    assert.equal(tracking.pending(), 0);
    assert.deepEqual(tracking.ran, []);
  });
});

test('sustainedFor: source error passes through and tears the timers down', () => {
  const ts = scheduler();
  ts.run(({ cold, expectObservable, expectSubscriptions, flush }) => {
    const err = new Error('collector died');
    const tracking = trackingScheduler(ts);
    const source = cold('t 1s #', bools, err);
    expectObservable(source.pipe(sustainedFor(5_000, { scheduler: tracking, maxGapMs: 3_000 }))).toBe('- 1s #', undefined, err);
    expectSubscriptions(source.subscriptions).toBe('^ 1s !');
    flush();
    assert.equal(tracking.pending(), 0);
    assert.deepEqual(tracking.ran, []);
  });
});

test('sustainedFor: early unsubscribe cancels the pending timer', () => {
  const ts = scheduler();
  ts.run(({ cold, expectObservable, expectSubscriptions, flush }) => {
    const tracking = trackingScheduler(ts);
    const source = cold('t 1m |', bools);
    expectObservable(source.pipe(sustainedFor(10_000, tracking)), '^ 5s !').toBe('-');
    expectSubscriptions(source.subscriptions).toBe('^ 5s !');
    flush();
    assert.equal(tracking.pending(), 0);
    assert.deepEqual(tracking.ran, [], 'the 10 s timer never ran');
  });
});
