/**
 * One source of the metrics stream on its own cadence: read on a timer, never two reads
 * at once, each read bounded by a timeout, each result (or failure) one sample stamped
 * with the scheduler time its read began.
 *
 *   timer     0 ──────────── 1 ──────────── 2 ──────────── 3 ──
 *   read      read─ok        read───────────────────ok     read─ok     (a hung read holds the
 *   samples   a              ────T(timeout)          b     c            timer: tick 2 is skipped)
 *
 * - `exhaustMap`: a tick that comes while a read still runs is dropped, so a collector
 *   never overlaps itself (a read that hangs on a dead mount cannot pile up).
 * - At the timeout a `timeout: …` sample is emitted (null value, degraded); the read goes
 *   on, and if it answers after all, its value replaces the timeout sample.
 * - A failure is a sample too: "no data here" (ENOENT: the file does not exist on this
 *   host) is warned once and then quiet; other errors are logged when they start or
 *   change, and recovery is logged. The source never errors: the others go on.
 *
 * Time is the injected scheduler's, so a source runs under TestScheduler.run.
 */
import {
  catchError, connect, defer, exhaustMap, map, merge, of, take, takeUntil, tap, throwIfEmpty, timer, type Observable, type SchedulerLike,
} from 'rxjs';
import type { Logger } from '../log/logger.js';
import { isNoDataError } from './collector.js';

/** One source's latest result, as the metrics stream combines it. */
export interface CollectorSample {
  /** where it goes in the snapshot: a Metrics field (`cpu`), or `custom.<name>` */
  key: string;
  /** the sample; null when there is none (a rate's first reading, a failure, a timeout) */
  value: unknown;
  /** scheduler ms when the read behind it began: the snapshot's age of this field is measured from it */
  at: number;
  /**
   * scheduler ms from the previous successful read's start to this read's start: the
   * window a share or rate in the value (a delta between the two reads) averages over;
   * absent on a collector's first read and on custom metrics
   */
  windowMs?: number;
  /** why there is no value, when something is wrong */
  degraded?: string;
}

export interface CadenceOptions {
  /** the snapshot key */
  key: string;
  /** how the logs name it: `collector cpu`, `custom metric queue_depth` */
  label: string;
  intervalMs: number;
  timeoutMs: number;
  scheduler: SchedulerLike;
  logger: Logger;
  /**
   * when to read (default `timer(0, intervalMs)`): the metrics stream hands the sources of
   * one interval the same ticks, so they read in one wake-up of the event loop
   */
  ticks$?: Observable<unknown>;
}

const describeNoData = (err: unknown): string => {
  const path = (err as NodeJS.ErrnoException).path;
  return `no data: ${path ?? (err as Error).message} is missing`;
};

/** Reads by `read` (one value, or an error) every `intervalMs`: a sample per read, see the file comment. */
export const onCadence = (read: () => Observable<unknown>, o: CadenceOptions): Observable<CollectorSample> =>
  defer(() => {
    let warnedNoData = false;
    let failing: string | undefined;

    const failed = (err: unknown, at: number): CollectorSample => {
      if (isNoDataError(err)) return { key: o.key, value: null, at, degraded: describeNoData(err) };
      return { key: o.key, value: null, at, degraded: (err as Error)?.message ?? String(err) };
    };

    // Logs once per change of state: a failure streak, the no-data case, a recovery.
    const report = (s: CollectorSample): void => {
      const reason = s.degraded;
      if (reason === undefined) {
        if (failing !== undefined) o.logger.info(`${o.label} recovered`);
        failing = undefined;
        return;
      }
      if (reason.startsWith('no data')) {
        if (!warnedNoData) o.logger.warn(`${o.label} has no data on this host; it stays off quietly`, { reason });
        warnedNoData = true;
      } else if (failing !== reason) {
        if (reason.startsWith('timeout')) o.logger.warn(`${o.label} timed out`, { timeout_ms: o.timeoutMs });
        else o.logger.error(`${o.label} failed`, { error: reason });
      }
      failing = reason;
    };

    return (o.ticks$ ?? timer(0, o.intervalMs, o.scheduler)).pipe(
      exhaustMap(() => {
        const at = o.scheduler.now();
        const attempt$ = defer(read).pipe(
          take(1),
          throwIfEmpty(() => new Error('the read produced no value')),
          map((value): CollectorSample => ({ key: o.key, value, at })),
          catchError((err) => of(failed(err, at))),
        );
        // The attempt is shared by the timeout race and the result: the inner observable
        // completes only when the read has ended, which is what keeps exhaustMap from
        // starting a second read beside a hung one.
        return attempt$.pipe(
          connect((result$) =>
            merge(
              result$,
              timer(o.timeoutMs, o.scheduler).pipe(
                takeUntil(result$),
                map((): CollectorSample => ({ key: o.key, value: null, at, degraded: `timeout: no result within ${o.timeoutMs} ms` })),
              ),
            ),
          ),
        );
      }),
      tap(report),
    );
  });
