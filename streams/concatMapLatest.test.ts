import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestScheduler } from 'rxjs/testing';
import { concatMapLatest } from './concatMapLatest.js';

const scheduler = () => new TestScheduler((actual, expected) => assert.deepEqual(actual, expected));

test('concatMapLatest: requests during a piece of work coalesce into exactly one more, run after it', () => {
  const seen: string[] = [];
  scheduler().run(({ hot, cold, expectObservable, expectSubscriptions }) => {
    const source = hot('  abcd------e-|  ');
    const work = cold('   x---|          ');
    const expected = '    x---x-----x---|';
    //                    a   d     e     (b, c superseded by d while a's work ran)
    expectObservable(
      source.pipe(
        concatMapLatest((v) => {
          seen.push(v);
          return work;
        }),
      ),
    ).toBe(expected);
    expectSubscriptions(source.subscriptions).toBe('^-----------!');
    expectSubscriptions(work.subscriptions).toBe(['^---!', '----^---!', '----------^---!']);
  });
  assert.deepEqual(seen, ['a', 'd', 'e']);
});

test('concatMapLatest: a request after the work ended runs at once', () => {
  scheduler().run(({ hot, cold, expectObservable }) => {
    const source = hot('a 5ms b 5ms c|');
    expectObservable(source.pipe(concatMapLatest((v) => cold('-(v|)', { v })))).toBe('-a 5ms b 5ms (c|)');
  });
});

test('concatMapLatest: the 20 SIGHUPs of issue 7 (5 ms apart, a reload takes 200 ms) make 2 reloads, one after the other', () => {
  let started = 0;
  scheduler().run(({ hot, cold, expectObservable, expectSubscriptions }) => {
    const sighups = hot(Array.from({ length: 20 }, () => 'h').join(' 4ms '));
    const reload = cold('199ms (r|)');
    const out = sighups.pipe(
      concatMapLatest(() => {
        started++;
        return reload;
      }),
    );
    expectObservable(out).toBe('199ms r 198ms r');
    expectSubscriptions(reload.subscriptions).toBe(['^ 198ms !', '199ms ^ 198ms !']);
  });
  assert.equal(started, 2);
});

test('concatMapLatest: empty, never, source error, project throws, early unsubscribe', () => {
  scheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
    expectObservable(cold('|').pipe(concatMapLatest(() => cold('x|')))).toBe('|');
    expectObservable(cold('-').pipe(concatMapLatest(() => cold('x|')))).toBe('-');
    const err = new Error('upstream');
    expectObservable(cold('a #', undefined, err).pipe(concatMapLatest(() => cold('x|')))).toBe('x #', undefined, err);
    const boom = new Error('project');
    expectObservable(
      cold('a b|').pipe(
        concatMapLatest((v) => {
          if (v === 'b') throw boom;
          return cold('x|');
        }),
      ),
    ).toBe('x #', undefined, boom);
    const source = hot('a b|');
    const inner = cold('--x|');
    expectObservable(source.pipe(concatMapLatest(() => inner)), '^ !').toBe('--');
    expectSubscriptions(source.subscriptions).toBe('^ !');
    expectSubscriptions(inner.subscriptions).toBe('^ !');
  });
});
