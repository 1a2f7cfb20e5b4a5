import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Duration, parseDuration, formatDuration, formatDurationSeconds } from '../../src/config/duration.js';

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
