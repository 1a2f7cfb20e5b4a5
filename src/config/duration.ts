/**
 * Durations as operators write them (`500ms`, `5s`, `1m`, `1h`, `7d`, `1h30m`), decoded
 * to milliseconds. Bare numbers are refused: `timeout: 10` could mean seconds or
 * milliseconds, and guessing wrong is how a 10 s timeout becomes 10 ms.
 */
import * as t from 'io-ts';

interface DurationBrand {
  readonly Duration: unique symbol;
}

/** A duration in milliseconds, known to come from a valid duration string. */
export type Duration = number & DurationBrand;

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

/** io-ts codec: duration string → milliseconds (branded). Encodes back to a string. */
export const Duration = new t.Type<Duration, string, unknown>(
  'a duration like "5s"',
  (u): u is Duration => typeof u === 'number' && Number.isFinite(u) && u >= 0,
  (u, c) => {
    if (typeof u === 'number') return t.failure(u, c, `expected a duration like "5s", got a bare number ${u} (add a unit: ms, s, m, h, d)`);
    if (typeof u !== 'string') return t.failure(u, c);
    const r = parse(u);
    return typeof r === 'string' ? t.failure(u, c, r) : t.success(r as Duration);
  },
  (d) => formatDuration(d),
);

/** Casts a known number of milliseconds to a Duration (for defaults and tests). */
export const ms = (n: number): Duration => n as Duration;
