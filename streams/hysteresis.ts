import { asyncScheduler, Observable, type OperatorFunction, type SchedulerLike } from 'rxjs';

/** A change of a key's alarm state. */
export interface Transition<T> {
  key: string;
  state: 'firing' | 'resolved';
  /** the evaluation that caused the change */
  value: T;
  /** when this firing episode started (for `resolved`: how long it lasted = at - since) */
  since: number;
  /** when the change happened (scheduler clock) */
  at: number;
}

export interface HysteresisOptions<T> {
  /** per-subject evaluations (mount, IP); default: one subject, key `''` */
  keyOf?: (value: T) => string;
  /** the evaluation says "alarm" (e.g. `v > 90`) */
  isFiring: (value: T) => boolean;
  /**
   * The evaluation counts towards clearing (e.g. `v < 80`, a lower clear threshold).
   * Values that are neither firing nor clear (the dead band) keep the alarm and restart
   * the clear count. Default: `!isFiring(value)`.
   */
  isClear?: (value: T) => boolean;
  /** consecutive clear evaluations needed to resolve (default 1) */
  clearAfter?: number;
  /** and the clear run must have lasted this long, judged at evaluations (default 0) */
  clearAfterMs?: number;
  /**
   * The subject went away (a mount was unmounted): a firing key resolves at once,
   * whatever `clearAfter` says; a key not firing is ignored. Default: never.
   */
  isGone?: (value: T) => boolean;
  /**
   * Emit `firing` on every firing evaluation while the alarm holds, not only the first
   * (the reminders that dedup turns into one per window). Default false: transitions only.
   */
  repeat?: boolean;
  /**
   * When the evaluation was made (a snapshot's own timestamp): stamps `since`/`at` and
   * measures `clearAfterMs`; default the scheduler's clock at arrival.
   */
  timeOf?: (value: T) => number;
  /** default `asyncScheduler`; only read when there is no `timeOf` */
  scheduler?: SchedulerLike;
}

/**
 * Turns per-tick evaluations into alarm transitions: `firing` when a key's condition
 * starts, `resolved` exactly once when it has cleared — for `clearAfter` consecutive
 * clear ticks (and `clearAfterMs`), with an optional separate clear threshold — so a
 * value flapping around the limit yields one firing and one resolved, not a pair per tick.
 *
 * ```
 * source:  95 96 70 97 60 61 62|    isFiring: v > 90, clearAfter: 3
 * result:  F  -  -  -  -  -  R |    70 is one clear tick, 97 restarts the count
 * source:  95 85 85 79 |            isFiring: v > 90, isClear: v < 80 (dead band 80..90)
 * result:  F  -  -  R  |
 * ```
 *
 * With `repeat`, every firing evaluation comes out `firing` (a rule's per-tick reminder),
 * with the episode's `since`.
 *
 * ```
 * source:  95 96 70 97 60 61 62|    isFiring: v > 90, clearAfter: 3, repeat: true
 * result:  F  F  -  F  -  -  R |
 * ```
 *
 * Gaps: resolution is judged at evaluations only (no timers): if a key stops being
 * evaluated, it stays firing until it is evaluated clear — a collector that fell silent
 * does not "resolve" an alarm. Send an `isGone` evaluation for a subject that went away.
 *
 * A hand-written state machine (`hysteresisStep`, below) rather than `scan`: one pass
 * decides per key whether to emit nothing, a firing or a resolved, and the rule
 * benchmark (20 rules, every tick) pays for every extra layer.
 * Memory: only keys currently firing are held. Completion emits nothing more.
 * A throwing `keyOf`/`isFiring`/`isClear` errors the stream.
 *
 * @example
 * mounts$.pipe(hysteresis({ keyOf: (m) => m.mount, isFiring: (m) => m.usedPct > 90,
 *   isClear: (m) => m.usedPct < 85, clearAfter: 3 }))
 */
export function hysteresis<T>(opts: HysteresisOptions<T>): OperatorFunction<T, Transition<T>> {
  return (source) =>
    new Observable<Transition<T>>((subscriber) => {
      const step = hysteresisStep(opts);
      return source.subscribe({
        next: (value) => {
          let out: Transition<T> | null;
          try {
            out = step(value);
          } catch (err) {
            subscriber.error(err);
            return;
          }
          if (out) subscriber.next(out);
        },
        error: (err) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });
    });
}

/**
 * The state machine `hysteresis` runs, one per subscription: an evaluation in, the
 * transition it causes (or null) out. Exported so a rule can run it inside its own
 * operator together with `sustainedForStep` (src/rules/compile-rule.ts: one hop per
 * rule instead of four, which the 20-rule benchmark needs); this is its only implementation.
 * A throwing `keyOf`/`isFiring`/`isClear`/`timeOf` throws out of the step.
 */
export function hysteresisStep<T>(opts: HysteresisOptions<T>): (value: T) => Transition<T> | null {
  const keyOf = opts.keyOf ?? (() => '');
  const { isFiring } = opts;
  const isClear = opts.isClear ?? ((v: T) => !isFiring(v));
  const clearAfter = Math.max(1, opts.clearAfter ?? 1);
  const clearAfterMs = opts.clearAfterMs ?? 0;
  const isGone = opts.isGone ?? (() => false);
  const repeat = opts.repeat ?? false;
  const scheduler = opts.scheduler ?? asyncScheduler;
  const timeOf = opts.timeOf ?? (() => scheduler.now());
  const firing = new Map<string, { since: number; clearTicks: number; clearSince: number | null }>();

  return (value) => {
    // the common case, nothing firing and nothing to fire, costs no map lookup
    if (firing.size === 0 && !isFiring(value)) return null;
    const key = keyOf(value);
    const st = firing.get(key);
    if (!st) {
      if (!isFiring(value) || isGone(value)) return null;
      const at = timeOf(value);
      firing.set(key, { since: at, clearTicks: 0, clearSince: null });
      return { key, state: 'firing', value, since: at, at };
    }
    if (isGone(value)) {
      firing.delete(key);
      return { key, state: 'resolved', value, since: st.since, at: timeOf(value) };
    }
    if (isFiring(value)) {
      st.clearTicks = 0;
      st.clearSince = null;
      return repeat ? { key, state: 'firing', value, since: st.since, at: timeOf(value) } : null;
    }
    if (!isClear(value)) {
      st.clearTicks = 0;
      st.clearSince = null;
      return null;
    }
    const at = timeOf(value);
    st.clearTicks++;
    st.clearSince ??= at;
    if (st.clearTicks < clearAfter || at - st.clearSince < clearAfterMs) return null;
    firing.delete(key);
    return { key, state: 'resolved', value, since: st.since, at };
  };
}
