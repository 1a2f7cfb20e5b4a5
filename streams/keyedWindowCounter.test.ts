import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { KeyedWindowCounter } from './keyedWindowCounter.js';

describe('KeyedWindowCounter', () => {
  test('fires when the count EXCEEDS the threshold, then resets the key', () => {
    const c = new KeyedWindowCounter<number>({ windowMs: 60_000, threshold: 3 });
    assert.equal(c.add('a', 0, 1), null);
    assert.equal(c.add('a', 1000, 2), null);
    assert.equal(c.add('a', 2000, 3), null, 'exactly at the threshold: no');
    assert.deepEqual(c.add('a', 3000, 4), [1, 2, 3, 4]);
    assert.equal(c.count('a', 3000), 0, 'reset after firing');
    assert.equal(c.add('a', 4000, 5), null);
  });

  test('a clock that went back by more than a window starts the key afresh; a late event within 2 windows is ignored', () => {
    const c = new KeyedWindowCounter<number>({ windowMs: 10_000, threshold: 1 });
    c.add('a', 100_000, 1);
    assert.equal(c.add('a', 85_000, 2), null, 'late and outside the window: not counted');
    assert.equal(c.count('a', 100_000), 1);
    assert.equal(c.add('a', 50_000, 3), null, 'clock went back: afresh');
    assert.deepEqual(c.add('a', 51_000, 4), [3, 4]);
  });

  test('an event exactly `window` old has left the window; keys are independent', () => {
    const c = new KeyedWindowCounter<number>({ windowMs: 10_000, threshold: 2 });
    c.add('a', 0, 1);
    c.add('b', 0, 1);
    c.add('a', 5_000, 2);
    assert.equal(c.count('b', 5_000), 1);
    assert.equal(c.add('a', 10_000, 3), null, 'the event at 0 expired at 10 s');
    assert.equal(c.count('a', 10_000), 2);
    assert.equal(c.count('b', 10_000), 0, 'b expired too');
    assert.deepEqual(c.add('a', 10_001, 4), [2, 3, 4]);
  });

  test('10,000 addresses in one window: each fires once; two windows later none is held', () => {
    const c = new KeyedWindowCounter<number>({ windowMs: 60_000, threshold: 5 });
    const fired = new Map<string, number>();
    let t = 0;
    for (let round = 0; round < 6; round++) {
      for (let i = 0; i < 10_000; i++) {
        const ip = `10.${(i >> 8) & 255}.${i & 255}.0`;
        if (c.add(ip, t, i)) fired.set(ip, (fired.get(ip) ?? 0) + 1);
        t += 0.5;
      }
    }
    assert.equal(fired.size, 10_000);
    assert.ok([...fired.values()].every((n) => n === 1));
    assert.equal(c.size, 0, 'fired keys are forgotten');
    // 10,000 addresses seen once each, then silence: gone within two windows
    for (let i = 0; i < 10_000; i++) c.add(`192.0.${i >> 8}.${i & 255}`, 100_000, i);
    assert.equal(c.size, 10_000);
    c.add('203.0.113.1', 100_000 + 60_000, 0);
    c.add('203.0.113.1', 100_000 + 120_000, 0);
    assert.equal(c.size, 1);
  });

  test('a key touched every window is kept across generations', () => {
    const c = new KeyedWindowCounter<number>({ windowMs: 10_000, threshold: 3 });
    c.add('a', 0, 1);
    c.add('a', 9_000, 2);
    c.add('b', 12_000, 0); // ages: a is in the old generation
    c.add('a', 15_000, 3);
    c.add('b', 24_000, 0); // ages again: a, touched since, is old now and still found
    assert.deepEqual(c.add('a', 16_000, 4), null);
    assert.deepEqual(c.add('a', 17_000, 5), [2, 3, 4, 5]);
  });

  test('maxKeys caps the live keys whatever the traffic; survivors are still forgotten later', () => {
    const c = new KeyedWindowCounter<number>({ windowMs: 60_000, threshold: 5, maxKeys: 1000 });
    for (let i = 0; i < 50_000; i++) c.add(`ip${i}`, i, i);
    assert.ok(c.size <= 1000, `size ${c.size}`);
    c.add('203.0.113.1', 50_000 + 120_000, 0);
    assert.equal(c.size, 1);
  });

  test('rejects a non-positive window', () => {
    assert.throws(() => new KeyedWindowCounter({ windowMs: 0, threshold: 5 }), /window must be > 0/);
  });
});
