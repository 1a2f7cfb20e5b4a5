import { asyncScheduler, defer, map, type OperatorFunction, type SchedulerLike } from 'rxjs';

/** One evaluation with whether its condition holds now and whether it has held long enough. */
export interface Sustained<T> {
  value: T;
  key: string;
  /** the condition holds at this evaluation */
  held: boolean;
  /** it has held, at every evaluation of this key, for at least `durationMs` */
  sustained: boolean;
}

export interface SustainedForOptions<T> {
  /** the condition (e.g. `breaches({ limit: 90 })` applied to the value) */
  isHeld: (value: T) => boolean;
  /** per-subject conditions (mount, IP); default one subject, key `''` */
  keyOf?: (value: T) => string;
  /**
   * When the value was observed (a snapshot's own timestamp), so replayed and live
   * values time alike; default the scheduler's clock at arrival.
   */
  timeOf?: (value: T) => number;
  /**
   * When a held evaluation began to hold, for the first of a run: a value averaged over
   * a window (CPU % from counter deltas since the previous read) says the condition held
   * over that whole window, so its run starts at the window's start, not at the value's
   * time. Default `timeOf`: an instantaneous value holds from when it was observed.
   */
  heldFromOf?: (value: T) => number;
  /** default `asyncScheduler`; only read when there is no `timeOf` */
  scheduler?: SchedulerLike;
}

/**
 * Marks each evaluation `sustained` once its key's condition has held at every
 * evaluation since at least `durationMs` ago (the config's `duration`); a `false`
 * evaluation starts the key over. With `durationMs` 0 a held evaluation is sustained
 * at once. It emits one item per evaluation, so a rule can repeat itself while it holds.
 * A run starts at its first held evaluation's `heldFromOf` (default: its time), so a
 * value that averages a window counts that window too.
 *
 * ```
 * source:  t 4s t 4s t 4s f 4s t|        sustainedFor(8s, { isHeld: (v) => v })  (t = true, f = false)
 * result:  h 4s h 4s S 4s c 4s h|        h: held, not yet sustained; S: sustained (held since 0, now 8002ms); c: clear
 *
 * source:  a 4s b 4s c|                  sustainedFor(8s, { isHeld: (v) => v.on, heldFromOf: (v) => v.since })
 *                                        each value averages the 4 s before it: a.since = -4000, b.since = 1
 * result:  h 4s S 4s S|                  held since -4000 (a's window), so sustained at b (4001ms), not at c
 * ```
 *
 * Derived from `map` over per-key state (`scan` with an output per item), like
 * `throttleTime` over `throttle`. No timers: time is judged at evaluations only, so a
 * collector that falls silent neither completes a duration nor keeps one alive — the
 * next evaluation decides. Memory holds only keys currently held. A throwing
 * `isHeld`, `keyOf`, `timeOf` or `heldFromOf` errors the stream.
 *
 * @example
 * mounts$.pipe(sustainedFor(60_000, { isHeld: (m) => m.usedPct > 90, keyOf: (m) => m.mount, timeOf: (m) => m.ts }))
 */
export const sustainedFor =
  <T>(durationMs: number, opts: SustainedForOptions<T>): OperatorFunction<T, Sustained<T>> =>
  (source) =>
    defer(() => source.pipe(map(sustainedForStep(durationMs, opts))));

/**
 * The per-key state `sustainedFor` maps with, one per subscription: an evaluation in,
 * its `Sustained` out. Exported so a rule can run it inside its own operator together
 * with `hysteresisStep` (src/rules/compile-rule.ts: one hop per rule, which the 20-rule
 * benchmark needs); this is its only implementation.
 */
export const sustainedForStep = <T>(durationMs: number, opts: SustainedForOptions<T>): ((value: T) => Sustained<T>) => {
  const { isHeld } = opts;
  const keyOf = opts.keyOf ?? (() => '');
  const scheduler = opts.scheduler ?? asyncScheduler;
  const timeOf = opts.timeOf ?? (() => scheduler.now());
  const heldFromOf = opts.heldFromOf;
  /** key → when its current run of held evaluations began */
  const since = new Map<string, number>();
  return (value) => {
    const key = keyOf(value);
    if (!isHeld(value)) {
      if (since.size !== 0) since.delete(key);
      return { value, key, held: false, sustained: false };
    }
    const at = timeOf(value);
    let from = since.get(key);
    if (from === undefined) since.set(key, (from = heldFromOf ? heldFromOf(value) : at));
    return { value, key, held: true, sustained: at - from >= durationMs };
  };
};
