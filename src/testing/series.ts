/**
 * The inputs of a rule test, as values per check interval: promtool's series notation
 * (`"50 95x7 40x4"`) or an RxJS marble (`{ marble: "a 29s b 9s c", values: {...} }`).
 * Pure: text in, one value (or `null`, no sample) per tick out; a problem is a message
 * without its place (the caller prefixes the path).
 *
 * Series notation, as promtool reads it:
 *   `a`       one value            `_`     no sample this tick
 *   `axn`     a, then n more a     `_xn`   n ticks without a sample
 *   `a+bxn`   a, a+b, …, a+n·b     `a-bxn` a, a−b, …, a−n·b
 */
import { TestScheduler } from 'rxjs/testing';

const item = /^(-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)(?:([+-])(\d+(?:\.\d+)?(?:e[+-]?\d+)?))?(?:x(\d+))?$/i;
const gap = /^_(?:x(\d+))?$/;
/** A series longer than this is a mistake (a day of 5 s ticks is 17,280). */
export const MAX_SERIES_VALUES = 100_000;

/** `"50 95x7 40x4"` → one value per tick, or the reason it is not a series. */
export const parseSeries = (text: string): (number | null)[] | string => {
  const out: (number | null)[] = [];
  const words = text.trim().split(/\s+/).filter((w) => w !== '');
  if (words.length === 0) return 'expected a series like "50 95x7 40x4", got an empty string';
  for (const w of words) {
    const g = gap.exec(w);
    const m = g ? null : item.exec(w);
    if (!g && !m) return `"${w}" is not a series item (expected a number, "_", "NxM", "N+DxM" or "N-DxM")`;
    const times = g ? Number(g[1] ?? 1) : 1 + Number(m![4] ?? 0);
    if (out.length + times > MAX_SERIES_VALUES) return `the series has more than ${MAX_SERIES_VALUES} values`;
    if (g) {
      for (let i = 0; i < times; i++) out.push(null);
      continue;
    }
    const start = Number(m![1]);
    const step = m![2] === undefined ? 0 : (m![2] === '-' ? -1 : 1) * Number(m![3]);
    for (let i = 0; i < times; i++) out.push(start + i * step);
  }
  return out;
};

/** A value that changes at marble times: `(time, value)` pairs, time in virtual ms. */
export type Steps = { at: number; value: number }[];

/**
 * `{ marble, values }` → the values' times. The marble is read as in
 * `TestScheduler.run` (a character is one frame = 1 ms, time progression `29s` allowed:
 * `a 29s b` puts b at 29001 ms); a letter
 * without a value, or a value that is not a number, is refused. Errors and
 * completion in the marble are not inputs and are refused too.
 */
export const parseMarbleSteps = (marble: string, values: Record<string, unknown>): Steps | string => {
  let frames: ReturnType<typeof TestScheduler.parseMarbles>;
  // Outside run() a marble character is 10 frames; run() makes it 1 (1 ms), as here.
  const factor = TestScheduler.frameTimeFactor;
  TestScheduler.frameTimeFactor = 1;
  try {
    // without values: each frame carries its letter, looked up below to name it in an error
    frames = TestScheduler.parseMarbles(marble, undefined, undefined, undefined, true);
  } catch (err) {
    return `not a marble: ${(err as Error).message}`;
  } finally {
    TestScheduler.frameTimeFactor = factor;
  }
  const out: Steps = [];
  for (const f of frames) {
    const n = f.notification;
    if (n.kind !== 'N') return `"${n.kind === 'E' ? '#' : '|'}" has no meaning in a metric marble: a series does not fail or end`;
    const letter = String(n.value);
    const value = values[letter];
    if (value === undefined) return `"${letter}" has no value in values`;
    if (typeof value !== 'number' || !Number.isFinite(value)) return `the value of "${letter}" is not a number, got ${JSON.stringify(value)}`;
    out.push({ at: f.frame, value });
  }
  if (out.length === 0) return 'the marble has no values';
  return out;
};

/** The value each tick sees (the latest step at or before it), for `ticks` ticks of `intervalMs`. */
export const sampleSteps = (steps: Steps, intervalMs: number, ticks: number): (number | null)[] => {
  const out: (number | null)[] = [];
  let i = -1;
  for (let k = 0; k < ticks; k++) {
    while (i + 1 < steps.length && steps[i + 1]!.at <= k * intervalMs) i++;
    out.push(i < 0 ? null : steps[i]!.value);
  }
  return out;
};
