import { test } from 'node:test';
import assert from 'node:assert/strict';
import { durationBetween, timerDuration, TIMER_MAX_MS, parseDuration, formatDuration, formatDurationSeconds } from '../../src/config/duration.js';

const Duration = durationBetween('0s', '3650d');

test('parseDuration: units and combinations in milliseconds', () => {
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('5s'), 5000);
  assert.equal(parseDuration('1m'), 60_000);
  assert.equal(parseDuration('1h'), 3_600_000);
  assert.equal(parseDuration('7d'), 7 * 86_400_000);
  assert.equal(parseDuration('1h30m'), 5_400_000);
  assert.equal(parseDuration('1m500ms'), 60_500);
  assert.equal(parseDuration('1.5s'), 1500);
  assert.equal(parseDuration('0s'), 0);
});

test('parseDuration: bare numbers and garbage are refused with the expected form', () => {
  assert.throws(() => parseDuration('10'), /expected a duration like "5s".*bare number/);
  assert.throws(() => parseDuration('5 sec'), /expected a duration like "5s"/);
  assert.throws(() => parseDuration('1hh'), /expected a duration like "5s"/);
  assert.throws(() => parseDuration('-5s'), /expected a duration like "5s"/);
  assert.throws(() => parseDuration(''), /expected a duration like "5s"/);
});

test('Duration codec: strings decode to ms; a YAML number is an error', () => {
  const ok = Duration.decode('2m');
  assert.equal(ok._tag, 'Right');
  assert.equal(ok._tag === 'Right' && ok.right, 120_000);
  const bad = Duration.decode(10);
  assert.equal(bad._tag, 'Left');
  assert.match(bad._tag === 'Left' ? bad.left[0]!.message! : '', /expected a duration like "5s", got a bare number 10/);
  assert.equal(Duration.decode(true)._tag, 'Left');
});

test('formatDuration round-trips through parseDuration', () => {
  for (const text of ['500ms', '5s', '1m30s', '2h', '7d', '1d2h3m4s5ms']) {
    assert.equal(formatDuration(parseDuration(text)), text);
  }
  assert.equal(Duration.encode(parseDuration('90s')), '1m30s');
});

test('formatDurationSeconds rounds to whole seconds', () => {
  assert.equal(formatDurationSeconds(90_400), '1m30s');
  assert.equal(formatDurationSeconds(1_600), '2s');
  assert.equal(formatDurationSeconds(400), '0s');
  assert.equal(formatDurationSeconds(86_400_000 + 61_000), '1d1m1s');
});

test('parseDuration: a duration no clock can add to a date is refused', () => {
  assert.throws(() => parseDuration('99999999999999999999999d'), /at most 36500d/);
  assert.throws(() => parseDuration(`${'9'.repeat(400)}s`), /at most/);
});

test('durationBetween: the range is inclusive and the message names value and range', () => {
  const interval = durationBetween('100ms', '1h');
  assert.equal(interval.decode('100ms')._tag, 'Right');
  assert.equal(interval.decode('1h')._tag, 'Right');
  for (const v of ['99ms', '0s', '1h1ms', '30d']) {
    const r = interval.decode(v);
    assert.equal(r._tag, 'Left', v);
    assert.equal(r._tag === 'Left' && r.left[0]!.message, `expected a duration from 100ms to 1h, got "${v}"`);
  }
  // A malformed value keeps its own message (the form, not the range).
  const bare = interval.decode(10);
  assert.match(bare._tag === 'Left' ? bare.left[0]!.message! : '', /bare number 10/);
});

test('timerDuration: a range past what a Node timer can wait is a bug caught when the schema is built', () => {
  assert.ok(TIMER_MAX_MS === 2 ** 31 - 1);
  assert.doesNotThrow(() => timerDuration('1s', '24d'));
  assert.throws(() => timerDuration('1s', '25d'), RangeError);
});
