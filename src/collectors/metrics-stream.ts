/**
 * The metrics stream: every periodic collector read on each tick, combined into one
 * Metrics snapshot per tick, shared by every rule.
 *
 *   tick      0 ─────────── 1 ─────────── 2 ──
 *   cpu       read─derive   read─derive   read─derive      (previous reading kept: real deltas)
 *   disk      read───────────────✕ timeout (null, degraded) …still running → busy at 2
 *   metrics$  a ─────────── b ─────────── c ──             (one snapshot per tick)
 *
 * - A tick runs all collectors at once and waits for all of them (forkJoin), each
 *   bounded by `timeoutMs`, so a snapshot holds that tick's results and nothing older.
 * - A collector never overlaps itself: a read still running from an earlier tick
 *   (it timed out, the promise cannot be cancelled) makes this tick's field null with
 *   `degraded[name] = 'busy: ...'` instead of starting a second read. Ticks themselves
 *   never overlap (exhaustMap); with the default timeout (80% of the interval, at most
 *   2 s) a tick ends before the next begins.
 * - A collector degrades alone: a failure, a timeout, or "no data here" (its file is
 *   missing: ENOENT) leaves its field null and says why in `degraded`. "No data" is
 *   warned once and then quiet; real errors are logged when they start or change, and
 *   recovery is logged. The others go on.
 * - A collector whose derive returns null (the first tick of a rate: only a baseline)
 *   leaves its field null WITHOUT a degraded entry: nothing is wrong.
 * - A collector with `minReadIntervalMs` is read on every n-th tick only (n = that
 *   interval in ticks, rounded, at least 1); the ticks in between repeat its last sample.
 *   After a failure it is read again on the next tick. Rates stay honest: the previous
 *   reading is the one actually read, with its own time.
 * - Custom metrics (`custom_metrics:`) are read within the same deadline into `custom`.
 *
 * Example:
 *   metricsStream(createHost(), { intervalMs: 5000, logger }).subscribe((m) => console.log(m.cpu));
 */
import {
  asyncScheduler, catchError, defer, exhaustMap, finalize, forkJoin, from, map, of, share, timeout, timer,
  type Observable, type SchedulerLike,
} from 'rxjs';
import type { Host } from '../host/host.js';
import type { Logger } from '../log/logger.js';
import { emptyMetrics, type Metrics, type MetricKey } from '../model/metrics.js';
import { isNoDataError, type AnyCollector } from './collector.js';
import { createCollectors } from './registry.js';
import { createCustomMetricsReader, type CustomMetricsOptions } from './custom.js';

export interface MetricsStreamOptions {
  /** tick period, ms (performance.check_interval) */
  intervalMs: number;
  /** bound on one collector's tick, ms (default: 80% of the interval, at most 2000) */
  timeoutMs?: number;
  /** the collectors to run (default: the registry's enabled-by-default ones) */
  collectors?: AnyCollector[];
  /** custom_metrics: */
  custom?: CustomMetricsOptions;
  /** drives the ticks and timeouts (default asyncScheduler) */
  scheduler?: SchedulerLike;
  logger: Logger;
}

/** One collector's outcome on one tick. */
interface TickResult {
  name: MetricKey;
  sample: unknown;
  degraded?: string;
}

/** The default per-collector timeout: leaves a fifth of the interval so ticks never queue. */
export const defaultCollectorTimeoutMs = (intervalMs: number): number =>
  Math.min(2000, Math.max(1, Math.floor(intervalMs * 0.8)));

const describeNoData = (err: unknown): string => {
  const path = (err as NodeJS.ErrnoException).path;
  return `no data: ${path ?? (err as Error).message} is missing`;
};

/** Per-collector state across ticks: previous reading, in-flight guard, what was logged. */
const createRunner = (c: AnyCollector, host: Host, logger: Logger, intervalMs: number, timeoutMs: number, scheduler: SchedulerLike) => {
  let prev: { raw: unknown; at: number } | undefined;
  let inFlight = false;
  // Ticks per read, and the last good sample repeated in between (see the file comment).
  const readEvery = Math.max(1, Math.round((c.minReadIntervalMs ?? 0) / intervalMs));
  let last: { sample: unknown } | undefined;
  let skipped = 0;
  let warnedNoData = false;
  let failing: string | undefined;
  // The collector's generic types do not survive being in a union; this view is sound
  // because prev only ever holds this collector's own readings.
  const col = c as unknown as {
    read(h: Host): Promise<unknown>;
    derive(p: unknown, cur: unknown, ms: number): unknown;
    complete?(h: Host, s: unknown): Promise<unknown>;
  };

  const readAndDerive = async (): Promise<unknown> => {
    const at = host.monotonicMs();
    const raw = await col.read(host);
    const sample = col.derive(prev?.raw, raw, prev ? at - prev.at : 0);
    prev = { raw, at };
    return sample !== null && col.complete ? col.complete(host, sample) : sample;
  };

  const failed = (err: unknown): TickResult => {
    last = undefined;
    if (err instanceof Error && err.name === 'TimeoutError') {
      const reason = `timeout: no result within ${timeoutMs} ms`;
      if (failing !== reason) logger.warn(`collector ${c.name} timed out`, { timeout_ms: timeoutMs });
      failing = reason;
      return { name: c.name, sample: null, degraded: reason };
    }
    if (isNoDataError(err)) {
      const reason = describeNoData(err);
      if (!warnedNoData) logger.warn(`collector ${c.name} has no data on this host; it stays off quietly`, { reason });
      warnedNoData = true;
      failing = reason;
      return { name: c.name, sample: null, degraded: reason };
    }
    const reason = (err as Error)?.message ?? String(err);
    if (failing !== reason) logger.error(`collector ${c.name} failed`, { error: reason });
    failing = reason;
    return { name: c.name, sample: null, degraded: reason };
  };

  return (): Observable<TickResult> =>
    defer(() => {
      if (inFlight) {
        return of<TickResult>({ name: c.name, sample: null, degraded: 'busy: the previous read is still running' });
      }
      if (last && ++skipped < readEvery) return of<TickResult>({ name: c.name, sample: last.sample });
      skipped = 0;
      inFlight = true;
      const run = readAndDerive();
      const done = () => {
        inFlight = false;
      };
      run.then(done, done);
      return from(run).pipe(
        timeout({ first: timeoutMs, scheduler }),
        map((sample): TickResult => {
          if (failing) logger.info(`collector ${c.name} recovered`);
          failing = undefined;
          // A baseline (null) is not worth repeating: the next tick reads again.
          last = sample === null ? undefined : { sample };
          return { name: c.name, sample };
        }),
        catchError((err) => of(failed(err))),
      );
    });
};

/** The shared stream of Metrics snapshots, one per tick. */
export const metricsStream = (host: Host, options: MetricsStreamOptions): Observable<Metrics> => {
  const scheduler = options.scheduler ?? asyncScheduler;
  const timeoutMs = options.timeoutMs ?? defaultCollectorTimeoutMs(options.intervalMs);
  const { logger } = options;
  return defer(() => {
    const collectors = options.collectors ?? createCollectors();
    const runners = collectors.map((c) => createRunner(c, host, logger, options.intervalMs, timeoutMs, scheduler));
    const custom =
      options.custom && Object.keys(options.custom).length > 0
        ? createCustomMetricsReader(host, options.custom, { logger, freshMs: options.intervalMs })
        : undefined;
    const custom$ = (): Observable<Record<string, number>> =>
      custom
        ? defer(() => from(custom.read(host.monotonicMs() + timeoutMs))).pipe(catchError(() => of({})))
        : of({});

    return timer(0, options.intervalMs, scheduler).pipe(
      exhaustMap(() => {
        const ts = host.now();
        // forkJoin([]) completes without a value: with no collectors, still one snapshot per tick.
        const results$ = runners.length > 0 ? forkJoin(runners.map((run) => run())) : of<TickResult[]>([]);
        return forkJoin([results$, custom$()]).pipe(
          map(([results, customValues]) => {
            const m = emptyMetrics(ts);
            const fields = m as unknown as Record<MetricKey, unknown>;
            for (const r of results) {
              fields[r.name] = r.sample;
              if (r.degraded !== undefined) m.degraded[r.name] = r.degraded;
            }
            m.custom = customValues;
            return m;
          }),
        );
      }),
      finalize(() => {
        for (const c of collectors) c.close?.();
      }),
    );
  }).pipe(share());
};

/** The same stream under the name the design uses. */
export const metrics$ = metricsStream;
