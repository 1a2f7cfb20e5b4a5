/**
 * The SSH brute-force detector as an RxJS operator: AuthFailures in, one Incident out
 * each time an offender exceeds the rule's threshold within its window.
 *
 * ```
 * failures:  a a a a a a b a|       (a, b: addresses)   threshold 5, window 60s
 * incidents: ----------I-----|      (I: the 6th failure of a within 60 s)
 * ```
 *
 * Time: a failure happens at its line's own timestamp (`ts`) when it has one, else at
 * the scheduler's clock on arrival (`timeOf` overrides both). Judging windows on the
 * line's time is what lets the agent read a log's tail again after a crash, or lines
 * written while it was down, without counting failures an hour apart as one burst.
 * The incident itself is stamped with the scheduler's clock (when it was raised).
 *
 * Offenders: the address, or its `ipv6Prefix` network for IPv6 (offender-key.ts).
 *
 * Crash safety (issue 7): a failure read from a file carries `hold`. The detector holds
 * its line while it can still matter — until the failure has left the window (by the
 * newest failure time seen), or the incident it raised reports its ban carried out
 * (`onHandled(true)`). A ban that did not happen keeps the lines held until they leave
 * the window, so a restart in between reads them again and bans then. Memory is
 * bounded (countExceeds; at most `maxHeld` lines held, the oldest let go first).
 * A throwing `timeOf` errors the stream.
 */
import { asyncScheduler, defer, map, type OperatorFunction, type SchedulerLike } from 'rxjs';
import { countExceeds } from '../../streams/countExceeds.js';
import type { Incident } from '../model/incident.js';
import type { AuthFailure } from './auth-failure.js';
import type { Release } from './line-ledger.js';
import { bruteForceIncident, DEFAULT_WINDOW_MS, type BruteForceRule } from './brute-force-rule.js';
import { offenderOf } from './offender-key.js';

export interface DetectOptions {
  /** default asyncScheduler; its now() stamps incidents and times failures without a timestamp */
  scheduler?: SchedulerLike;
  /** the time of a failure; default its `ts`, else the scheduler's now() at arrival */
  timeOf?: (f: AuthFailure) => number;
  /** IPv6 failures count per network of this many bits (firewall.ipv6_prefix); default 128: per address */
  ipv6Prefix?: number;
  /** most offenders tracked at once (default 100,000) */
  maxKeys?: number;
  /** most log lines held at once (default 200,000); beyond it the oldest are let go */
  maxHeld?: number;
}

interface Counted {
  failure: AuthFailure;
  offender: string;
  at: number;
  release: Release | undefined;
}

export function detectBruteForce(rule: BruteForceRule, options: DetectOptions = {}): OperatorFunction<AuthFailure, Incident> {
  const scheduler = options.scheduler ?? asyncScheduler;
  const timeOf = options.timeOf ?? ((f: AuthFailure) => f.ts ?? scheduler.now());
  const windowMs = rule.window ?? DEFAULT_WINDOW_MS;
  const ipv6Prefix = options.ipv6Prefix ?? 128;
  const maxHeld = options.maxHeld ?? 200_000;
  return (source) =>
    defer(() => {
      // Held lines in arrival order (≈ time order): let go once the newest failure time
      // seen is a window past them. A late line only delays those behind it.
      const held: { at: number; release: Release }[] = [];
      let first = 0;
      let clock = -Infinity;
      const letGo = () => {
        while (first < held.length && (held[first]!.at + windowMs <= clock || held.length - first > maxHeld)) held[first++]!.release();
        if (first === held.length) {
          held.length = 0;
          first = 0;
        } else if (first > 1024 && first * 2 > held.length) {
          held.splice(0, first);
          first = 0;
        }
      };
      return source.pipe(
        map((f): Counted => {
          const at = timeOf(f);
          const release = f.hold?.();
          if (release) held.push({ at, release });
          // a clock that went back by more than a window starts over (held lines wait for it)
          clock = at < clock - 2 * windowMs ? at : Math.max(clock, at);
          letGo();
          return { failure: f, offender: offenderOf(f.ip, ipv6Prefix), at, release };
        }),
        countExceeds<Counted>(rule.threshold, windowMs, { keyOf: (c) => c.offender, timeOf: (c) => c.at, maxKeys: options.maxKeys }),
        map(({ key: offender, events: burst, value }) => {
          const failures = burst.map((c) => c.failure);
          const addresses = offender === value.failure.ip ? [offender] : [...new Set(failures.map((x) => x.ip))];
          const incident = bruteForceIncident(rule, offender, failures, scheduler.now(), addresses);
          if (value.release) {
            // the ban carried out settles these lines; otherwise they wait for the window
            incident.onHandled = (carriedOut) => {
              if (carriedOut) for (const c of burst) c.release?.();
            };
          }
          return incident;
        }),
      );
    });
}
