/**
 * The metrics stream, as the design card draws it: each collector is its own observable
 * on its own cadence, combined with `combineLatest`, sampled once per check_interval
 * into one Metrics snapshot shared by every rule.
 *
 *   cpu       a────b────c────d────e──      every check_interval (the default)
 *   network   n────o────p────q────r──      counters every tick, its socket-table part every 15 s
 *   disk      D───────────────────────     every 60 s
 *   custom.q  1─────────2─────────3──      every cache_ttl
 *               combineLatest
 *   metrics$  x────x────x────x────x──      one snapshot per check_interval: the latest of each, with its age
 *
 * - Each source is read on its own timer (on-cadence.ts): never overlapping itself
 *   (exhaustMap), bounded by a timeout, a failure a degraded sample that never stops
 *   the others; "no data here" warned once.
 * - The snapshot clock starts when every collector has answered once (or timed out), so
 *   the first snapshot is complete and later ones trail the collectors' reads by the
 *   first reads' duration: a collector read every tick is seen in the same tick.
 * - Each field carries its age (`ages`); one older than twice its interval plus a
 *   check_interval is null and `stale` in `degraded` (metrics-snapshot.ts).
 * - Rates stay honest: a collector's previous reading is the one actually read, with its
 *   own monotonic time, however many reads failed in between. Each field carries that
 *   window too (`windows`: from the read before to the read behind it), since a share or
 *   rate describes the whole window, not the moment of the read.
 * - Custom metrics do not hold up the first snapshot beyond one collector timeout: a
 *   command still running then is absent until it answers.
 *
 * Everything timed runs on `scheduler`, so the stream runs under TestScheduler.run with
 * fake collectors (whose reads answer with observables).
 *
 * Example:
 *   metricsStream(createHost(), { intervalMs: 5000, logger }).subscribe((m) => console.log(m.cpu, m.ages));
 */
import {
  asyncScheduler, catchError, combineLatest, concatMap, connect, defer, exhaustMap, finalize, from, map, merge, of, ReplaySubject, share, switchMap,
  take, takeUntil, throwError, timer, withLatestFrom, type Observable, type ObservableInput, type SchedulerLike,
} from 'rxjs';
import type { Host } from '../host/host.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../model/metrics.js';
import type { AnyCollector, CollectorPart } from './collector.js';
import { createCollectors } from './registry.js';
import { customMetricIntervalMs, runCustomMetric, type CustomMetricsOptions } from './custom.js';
import { onCadence, type CollectorSample } from './on-cadence.js';
import { buildSnapshot, CUSTOM_PREFIX, maxSampleAgeMs } from './metrics-snapshot.js';

export interface MetricsStreamOptions {
  /** snapshot period, ms (performance.check_interval); also the cadence of collectors without their own */
  intervalMs: number;
  /** bound on one read, ms (default: 80% of the collector's interval, at most 2000) */
  timeoutMs?: number;
  /** the collectors to run, with their cadences (default: the registry's enabled-by-default ones) */
  collectors?: AnyCollector[];
  /** custom_metrics: */
  custom?: CustomMetricsOptions;
  /** drives every timer and stamps every snapshot (default asyncScheduler) */
  scheduler?: SchedulerLike;
  logger: Logger;
}

/** The default read timeout: leaves a fifth of the interval, so a collector's reads never queue. */
export const defaultCollectorTimeoutMs = (intervalMs: number): number =>
  Math.min(2000, Math.max(1, Math.floor(intervalMs * 0.8)));

/**
 * A collector's part on its own cadence: its latest result, or the error of its latest
 * read (the collector's reads then fail with it, and its sample says why). A part read
 * that hangs holds its timer like any read; the collector keeps the part's last result
 * meanwhile (the socket tables are read synchronously: they cannot hang).
 */
const partResults = (part: CollectorPart, host: Host, scheduler: SchedulerLike): Observable<{ value?: unknown; error?: unknown }> =>
  timer(0, part.intervalMs, scheduler).pipe(
    exhaustMap(() =>
      defer(() => from(part.read(host))).pipe(
        take(1),
        map((value) => ({ value })),
        catchError((error: unknown) => of({ error })),
      ),
    ),
  );

/**
 * One periodic tick per interval, shared by every source read on it: separate timers of
 * one period drift apart (each is re-armed from when its first read ended), and each then
 * wakes an idle agent on its own; one shared timer wakes it once for all of them.
 */
const sharedTicks = (scheduler: SchedulerLike) => {
  const byInterval = new Map<number, Observable<number>>();
  return (intervalMs: number): Observable<number> => {
    let ticks$ = byInterval.get(intervalMs);
    if (!ticks$) byInterval.set(intervalMs, (ticks$ = timer(0, intervalMs, scheduler).pipe(share())));
    return ticks$;
  };
};

/** One collector as a source: its reads (part, read, derive, complete) on its own cadence. */
const collectorSource = (c: AnyCollector, host: Host, o: { checkMs: number; timeoutMs?: number; scheduler: SchedulerLike; logger: Logger; ticks: (intervalMs: number) => Observable<number> }) => {
  const intervalMs = c.intervalMs ?? o.checkMs;
  // The collector's generic types do not survive being in a union; this view is sound
  // because prev only ever holds this collector's own readings.
  const col = c as unknown as {
    read(h: Host, part?: unknown): ObservableInput<unknown>;
    derive(p: unknown, cur: unknown, ms: number): unknown;
    complete?(h: Host, s: unknown): ObservableInput<unknown>;
    part?: CollectorPart;
  };
  const cadence = {
    key: c.name,
    label: `collector ${c.name}`,
    intervalMs,
    timeoutMs: o.timeoutMs ?? defaultCollectorTimeoutMs(intervalMs),
    scheduler: o.scheduler,
    logger: o.logger,
    ticks$: o.ticks(intervalMs),
  };
  return defer(() => {
    /** the previous successful reading: its raw counters, monotonic time, and scheduler time its read began */
    let prev: { raw: unknown; at: number; readAt: number } | undefined;
    const readWith = (part: unknown) =>
      defer(() => {
        const readAt = o.scheduler.now();
        return from(col.read(host, part)).pipe(
          take(1),
          concatMap((raw) => {
            const at = host.monotonicMs();
            const sample = col.derive(prev?.raw, raw, prev ? at - prev.at : 0);
            const windowMs = prev && readAt - prev.readAt;
            prev = { raw, at, readAt };
            const done$ = sample !== null && col.complete ? from(col.complete(host, sample)).pipe(take(1)) : of(sample);
            return done$.pipe(map((value): Reading => ({ value, windowMs })));
          }),
        );
      });
    const samples$ = col.part
      ? // The part's subscription lives as long as the collector's; each read takes its latest result.
        partResults(col.part, host, o.scheduler).pipe(
          connect(
            (latest$) =>
              onCadence(
                () => latest$.pipe(take(1), concatMap((p) => (p.error !== undefined ? throwError(() => p.error) : readWith(p.value)))),
                cadence,
              ),
            { connector: () => new ReplaySubject(1) },
          ),
        )
      : onCadence(() => readWith(undefined), cadence);
    return samples$.pipe(map(withWindow));
  });
};

/** A collector's read as onCadence carries it: the derived sample and the window since the read before (none on the first). */
interface Reading {
  value: unknown;
  windowMs: number | undefined;
}

/** The sample onCadence stamped, with its reading's window beside its value (a failure or timeout carries no reading). */
const withWindow = (s: CollectorSample): CollectorSample => {
  if (s.value === null) return s;
  const { value, windowMs } = s.value as Reading;
  return windowMs === undefined ? { ...s, value } : { ...s, value, windowMs };
};

/** One custom metric as a source; absent (not degraded) until its first answer if that takes longer than a collector timeout. */
const customSource = (name: string, m: CustomMetricsOptions[string], host: Host, o: { checkMs: number; scheduler: SchedulerLike; logger: Logger }) => {
  const key = `${CUSTOM_PREFIX}${name}`;
  const samples$ = onCadence(() => from(runCustomMetric(host, name, m)), {
    key,
    label: `custom metric ${name}`,
    intervalMs: customMetricIntervalMs(m, o.checkMs),
    // the command is killed at its own timeout; this only catches an exec that never ends
    timeoutMs: m.timeout + 1000,
    scheduler: o.scheduler,
    logger: o.logger,
  });
  return samples$.pipe(
    connect((s$) =>
      merge(
        s$,
        timer(defaultCollectorTimeoutMs(o.checkMs), o.scheduler).pipe(
          takeUntil(s$),
          map((): CollectorSample => ({ key, value: null, at: o.scheduler.now() })),
        ),
      ),
    ),
  );
};

/** The shared stream of Metrics snapshots, one per check_interval. */
export const metricsStream = (host: Host, options: MetricsStreamOptions): Observable<Metrics> => {
  const scheduler = options.scheduler ?? asyncScheduler;
  const checkMs = options.intervalMs;
  const { logger } = options;
  return defer(() => {
    const collectors = options.collectors ?? createCollectors();
    const custom = Object.entries(options.custom ?? {});
    const maxAge = new Map<string, number>([
      ...collectors.map((c) => [c.name, maxSampleAgeMs(c.intervalMs ?? checkMs, checkMs)] as const),
      ...custom.map(([name, m]) => [`${CUSTOM_PREFIX}${name}`, maxSampleAgeMs(customMetricIntervalMs(m, checkMs), checkMs)] as const),
    ]);
    const ticks = sharedTicks(scheduler);
    const sources = [
      ...collectors.map((c) => collectorSource(c, host, { checkMs, timeoutMs: options.timeoutMs, scheduler, logger, ticks })),
      ...custom.map(([name, m]) => customSource(name, m, host, { checkMs, scheduler, logger })),
    ];
    // combineLatest([]) completes at once: with no sources, still one (empty) snapshot per tick.
    const latest$: Observable<CollectorSample[]> = sources.length > 0 ? combineLatest(sources) : of([]);
    return latest$.pipe(
      connect(
        (samples$) =>
          samples$.pipe(
            take(1),
            switchMap(() => timer(0, checkMs, scheduler)),
            withLatestFrom(samples$),
            map(([, samples]) => buildSnapshot(samples, scheduler.now(), maxAge)),
          ),
        { connector: () => new ReplaySubject<CollectorSample[]>(1) },
      ),
      finalize(() => {
        for (const c of collectors) c.close?.();
      }),
    );
  }).pipe(share());
};

/** The same stream under the name the design uses. */
export const metrics$ = metricsStream;
