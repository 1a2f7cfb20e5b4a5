import { asyncScheduler, concat, map, Observable, repeat, timer, type SchedulerLike } from 'rxjs';

/** What a throttled process should do from now on. */
export type DutyPhase = 'stop' | 'run';

export interface DutyCycleOptions {
  /** length of one run + stop cycle, ms */
  periodMs: number;
  /** the share of each period spent running, in (0, 1) */
  share: number;
  /** default `asyncScheduler` */
  scheduler?: SchedulerLike;
}

/**
 * A run/stop rhythm that holds a process to `share` of the time: it runs for
 * `share × period` from the subscription, then stops for the rest of the period, and so
 * on, until unsubscribed. Emits only the changes (`stop` after the running part, `run`
 * at each period's start); the subscriber starts out running.
 *
 * ```
 * periodMs 10, share 0.3:
 * result:  ---s------r--s------r--s---…    (s = 'stop' at 3, 13, 23; r = 'run' at 10, 20)
 * ```
 *
 * Never completes and never errors: the caller ends it (an incident resolved, a
 * duration over) and, if the last phase was `stop`, lets the process run again itself,
 * since an unsubscription emits nothing. A share outside (0, 1) or a period under 2 ms
 * throws at once: 0 would stop a process for good and 1 is no throttle at all.
 *
 * @example
 * dutyCycle({ periodMs: 100, share: 0.25 }).subscribe((p) => host.kill(pid, p === 'stop' ? 'SIGSTOP' : 'SIGCONT'))
 */
export const dutyCycle = (options: DutyCycleOptions): Observable<DutyPhase> => {
  const { periodMs, share } = options;
  if (!(share > 0 && share < 1)) throw new RangeError(`dutyCycle: share must be between 0 and 1 (exclusive), got ${share}`);
  if (!(periodMs >= 2)) throw new RangeError(`dutyCycle: periodMs must be at least 2, got ${periodMs}`);
  const scheduler = options.scheduler ?? asyncScheduler;
  // Both parts at least 1 ms, or a phase would be skipped at the scheduler's resolution.
  const runMs = Math.min(periodMs - 1, Math.max(1, Math.round(periodMs * share)));
  // Each phase timed from the start of the one before (not two fixed intervals): a
  // late timer then lengthens the phase it ends, and never eats the next one.
  return concat(
    timer(runMs, scheduler).pipe(map((): DutyPhase => 'stop')),
    timer(periodMs - runMs, scheduler).pipe(map((): DutyPhase => 'run')),
  ).pipe(repeat());
};
