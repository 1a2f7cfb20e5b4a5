/**
 * The SSH brute-force detector as an RxJS operator: AuthFailures in, one Incident out
 * each time an address exceeds the rule's threshold within its window.
 *
 * ```
 * failures:  a a a a a a b a|       (a, b: addresses)   threshold 5, window 60s
 * incidents: ----------I-----|      (I: the 6th failure of a within 60 s)
 * ```
 *
 * Time comes from `timeOf` (default: the scheduler's clock at arrival — live sources;
 * replay passes the log's own timestamps). Memory is bounded (WindowedIpCounter).
 * A throwing `timeOf` errors the stream.
 */
import { asyncScheduler, Observable, type OperatorFunction, type SchedulerLike } from 'rxjs';
import type { Incident } from '../model/incident.js';
import type { AuthFailure } from './auth-failure.js';
import { bruteForceIncident, DEFAULT_WINDOW_MS, type BruteForceRule } from './brute-force-rule.js';
import { WindowedIpCounter } from './windowed-ip-counter.js';

export interface DetectOptions {
  /** default asyncScheduler; its now() is the clock */
  scheduler?: SchedulerLike;
  /** the time of a failure; default the scheduler's now() at arrival */
  timeOf?: (f: AuthFailure) => number;
  /** most addresses tracked at once (default 100,000) */
  maxKeys?: number;
}

export function detectBruteForce(rule: BruteForceRule, options: DetectOptions = {}): OperatorFunction<AuthFailure, Incident> {
  const scheduler = options.scheduler ?? asyncScheduler;
  const timeOf = options.timeOf ?? (() => scheduler.now());
  return (source) =>
    new Observable<Incident>((subscriber) => {
      const counter = new WindowedIpCounter<AuthFailure>({
        windowMs: rule.window ?? DEFAULT_WINDOW_MS,
        threshold: rule.threshold,
        maxKeys: options.maxKeys,
      });
      return source.subscribe({
        next: (f) => {
          let at: number;
          try {
            at = timeOf(f);
          } catch (err) {
            subscriber.error(err);
            return;
          }
          const burst = counter.add(f.ip, at, f);
          if (burst) subscriber.next(bruteForceIncident(rule, f.ip, burst, at));
        },
        error: (e) => subscriber.error(e),
        complete: () => subscriber.complete(),
      });
    });
}
