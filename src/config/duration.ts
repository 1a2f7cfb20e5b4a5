/**
 * Durations as operators write them (`500ms`, `5s`, `1m`, `1h`, `7d`, `1h30m`), decoded
 * to milliseconds. Bare numbers are refused: `timeout: 10` could mean seconds or
 * milliseconds, and guessing wrong is how a 10 s timeout becomes 10 ms.
 */
import * as t from 'io-ts';
import { flatMap } from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';

interface DurationBrand {
  readonly Duration: unique symbol;
}

/** A duration in milliseconds, known to come from a valid duration string. */
export type Duration = number & DurationBrand;

/**
 * The longest duration parseDuration (command-line flags) takes: longer than any config
 * key allows, short enough that `now + d` stays an exact date. Config keys have their
 * own ranges (durationBetween), which a huge or infinite value fails like any other.
 */
const MAX_DURATION_MS = 100 * 365 * 86_400_000;

/**
 * Node's timers take a 32-bit signed delay: a longer one (25 days) fires after 1 ms,
 * with a warning. Anything handed to setTimeout/setInterval must stay below it.
 */
export const TIMER_MAX_MS = 2 ** 31 - 1;

const unitMs: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const part = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/y;

/** Why `text` is not a duration, or the duration in ms. Pure; shared by the codec and the CLI. */
const parse = (text: string): number | string => {
  const s = text.trim();
  if (s === '') return 'expected a duration like "5s", got an empty string';
  if (/^\d+(\.\d+)?$/.test(s)) return `expected a duration like "5s", got a bare number ${JSON.stringify(text)} (add a unit: ms, s, m, h, d)`;
  let total = 0;
  part.lastIndex = 0;
  let pos = 0;
  while (pos < s.length) {
    part.lastIndex = pos;
    const m = part.exec(s);
    if (!m) return `expected a duration like "5s", "1m" or "1h30m", got ${JSON.stringify(text)}`;
    total += Number(m[1]) * unitMs[m[2]!]!;
    pos = part.lastIndex;
  }
  return Math.round(total);
};

/**
 * Parses a duration string to milliseconds (`--since 1h` → 3600000).
 * Throws an Error whose message says what was expected; callers add the place.
 */
export const parseDuration = (text: string): Duration => {
  const r = parse(text);
  if (typeof r === 'string') throw new Error(r);
  // `99999999999999999999999d` is well formed, but no clock can add it to a date.
  if (!(r <= MAX_DURATION_MS)) throw new Error(`expected a duration of at most ${formatDuration(MAX_DURATION_MS)}, got ${JSON.stringify(text)}`);
  return r as Duration;
};

/** Formats milliseconds back to the shortest duration string (`90000` → `1m30s`). */
export const formatDuration = (ms: number): string => {
  if (ms === 0) return '0s';
  let rest = Math.round(ms);
  let out = '';
  for (const [u, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000], ['ms', 1]] as const) {
    if (rest >= size) {
      out += `${Math.floor(rest / size)}${u}`;
      rest %= size;
    }
  }
  return out;
};

/**
 * Formats milliseconds rounded to whole seconds (`90400` → `1m30s`, `400` → `0s`): for
 * people reading an alert or a ban list, where milliseconds are noise.
 */
export const formatDurationSeconds = (ms: number): string => formatDuration(Math.round(ms / 1000) * 1000);

/** Any well-formed duration string → milliseconds; config keys use a range below. */
const anyDuration = (u: unknown, c: t.Context): t.Validation<Duration> => {
  if (typeof u === 'number') return t.failure(u, c, `expected a duration like "5s", got a bare number ${u} (add a unit: ms, s, m, h, d)`);
  if (typeof u !== 'string') return t.failure(u, c);
  const r = parse(u);
  return typeof r === 'string' ? t.failure(u, c, r) : t.success(r as Duration);
};

/**
 * io-ts codec: a duration string from `min` to `max` (both included, written as
 * durations: `durationBetween('100ms', '1h')`) → milliseconds. Every config key has its
 * own range, so a value that would break what reads it (`check_interval: 0s`, a busy
 * loop) is refused at check time: `at performance.check_interval: expected a duration
 * from 100ms to 1h, got "0s"`. Encodes back to a string.
 */
export const durationBetween = (min: string, max: string): t.Type<Duration, string, unknown> => {
  const lo = parseDuration(min);
  const hi = parseDuration(max);
  const range = `a duration from ${formatDuration(lo)} to ${formatDuration(hi)}`;
  return new t.Type<Duration, string, unknown>(
    range,
    (u): u is Duration => typeof u === 'number' && u >= lo && u <= hi,
    (u, c) =>
      pipe(
        anyDuration(u, c),
        flatMap((d) => (d >= lo && d <= hi ? t.success(d) : t.failure<Duration>(u, c, `expected ${range}, got ${JSON.stringify(u)}`))),
      ),
    (d) => formatDuration(d),
  );
};

/**
 * `durationBetween` for a value handed to a Node timer (setTimeout, setInterval, a
 * child-process or socket timeout): its range must end below TIMER_MAX_MS, checked
 * once when the schema is built.
 */
export const timerDuration = (min: string, max: string): t.Type<Duration, string, unknown> => {
  if (parseDuration(max) > TIMER_MAX_MS) throw new RangeError(`timer duration range ends at ${max}, beyond what a Node timer can wait`);
  return durationBetween(min, max);
};

/** Casts a known number of milliseconds to a Duration (for defaults and tests). */
export const ms = (n: number): Duration => n as Duration;
