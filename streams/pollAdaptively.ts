import { asyncScheduler, BehaviorSubject, defer, distinctUntilChanged, map, switchMap, tap, timer, type Observable, type SchedulerLike } from 'rxjs';

export interface PollAdaptivelyOptions<T> {
  /** ms between readings while nothing is urgent */
  slowMs: number;
  /** ms between readings from an urgent reading on, until `calmForMs` pass without another */
  fastMs: number;
  /** how long after the last urgent reading the fast cadence holds, ms */
  calmForMs: number;
  /**
   * Whether a reading calls for the fast cadence, given the one before it (undefined for
   * the first) and the scheduler ms between the two.
   */
  urgent: (reading: T, previous: T | undefined, elapsedMs: number) => boolean;
  /** default `asyncScheduler` */
  scheduler?: SchedulerLike;
}

/**
 * Reads a gauge on a cadence its own readings choose: every `slowMs` while they are
 * quiet, every `fastMs` from the first urgent reading on, back to `slowMs` once
 * `calmForMs` have passed without another. The first reading comes `slowMs` after
 * subscribing, and a change of cadence counts from the reading that made it.
 *
 * ```
 * ms:        3  6  9  10 11 12 13 14 15       18       21     slowMs 3, fastMs 1, calmForMs 4
 * readings:  0  0  9  18 27 27 27 27 27       27       27     urgent: rose by more than 5
 *            3 apart while quiet; 9 (at 9) rose: 1 apart; 4 ms after the last rise (11)
 *            the next delay is slow again
 * ```
 *
 * Made for the fork-bomb trigger, whose gauge (the host's task count) is read many times
 * a second: every wake-up of an idle agent costs CPU, and a quiet host needs the fast
 * cadence only once its count starts to climb. Derived from `switchMap` over the period
 * the readings choose (fed back through a BehaviorSubject): a steady cadence is one
 * periodic timer whose interval is reused, not a new timer per reading, which measurably
 * costs an idle agent woken several times a second.
 *
 * @example
 * pollAdaptively(readTaskCount, { slowMs: 170, fastMs: 100, calmForMs: 2000, urgent: (n, prev, ms) => (n - prev!) / ms > 0.2 })
 */
export function pollAdaptively<T>(read: () => T, opts: PollAdaptivelyOptions<T>): Observable<T> {
  const scheduler = opts.scheduler ?? asyncScheduler;
  return defer(() => {
    let previous: { reading: T; at: number } | undefined;
    let lastUrgentAt = -Infinity;
    const take = (): T => {
      const at = scheduler.now();
      const reading = read();
      if (opts.urgent(reading, previous?.reading, previous ? at - previous.at : 0)) lastUrgentAt = at;
      previous = { reading, at };
      return reading;
    };
    const period = () => (previous !== undefined && previous.at - lastUrgentAt < opts.calmForMs ? opts.fastMs : opts.slowMs);
    const period$ = new BehaviorSubject(opts.slowMs);
    return period$.pipe(
      distinctUntilChanged(),
      switchMap((ms) => timer(ms, ms, scheduler)),
      map(take),
      tap(() => period$.next(period())),
    );
  });
}
