/**
 * The alert dispatcher: durable outbox in, deliveries out, one independent lane per
 * channel key.
 *
 *   enqueue(msg) ──(one transaction per burst)──► alert_outbox ──► lane telegram ─► send
 *                                                               ├► lane email ────► send
 *                                                               └► lane webhook#2 ► send
 *
 * Each lane has its own ready queue, its own retry timer and its own concurrency, so a
 * channel that hangs or fails never delays another. An attempt is bounded by the
 * route's timeout (a route with contacts: see sendTimeoutMs); a failed one is retried with exponential backoff until the route's
 * retries are spent. Delivery is at-least-once: rows are written before any send and
 * removed after, so a crash re-sends at most the attempts that were in flight.
 *
 * When every channel of a critical alert has given up (or it has no channel at all),
 * the alert is written to stderr and its rows stay in the outbox, tried again at the
 * next start.
 */
import { asyncScheduler, type SchedulerLike, type Subscription } from 'rxjs';
import type { AlertChannel, AlertMessage } from './alert.js';
import type { Db } from '../storage/schema.js';
import type { Logger } from '../log/logger.js';
import { maskSecrets } from '../log/logger.js';
import { TIMER_MAX_MS } from '../config/duration.js';
import { routesFor, DEFAULT_ROUTE_TIMEOUT_MS, type KeyedRoute, type RouteLike, type RoutingTable } from './routing.js';
import {
  deleteAlert, deleteRows, enqueueAlerts, loadOutbox, markDelivering, markRetry, markSettled, recoverOutbox,
  type OutboxEntry,
} from './outbox.js';
import { createWriteBehind, type WriteOp } from './write-behind.js';
import { deliverOnce, describeDeliveryError, sendWithTimeout, type DeliveryResult } from './deliver-once.js';

export interface BackoffOptions {
  /** delay after the first failed attempt; doubles per attempt */
  baseMs: number;
  /** the delay never exceeds this */
  maxMs: number;
}

export interface DispatcherOptions {
  db: Db;
  /** channel key (as in the routing table) → channel */
  channels: ReadonlyMap<string, AlertChannel>;
  routes: RoutingTable;
  logger: Logger;
  /** the pipeline's clock: row timestamps, due times and the backoff timers (default asyncScheduler) */
  scheduler?: SchedulerLike;
  /** default 1 s doubling up to 60 s */
  backoff?: BackoffOptions;
  /** attempts in flight at once per channel (default 4) */
  concurrencyPerChannel?: number;
  /** where an undeliverable critical alert is written (default process.stderr) */
  writeStderr?: (line: string) => void;
}

export interface ChannelStats {
  delivered: number;
  /** given up after the last retry */
  failed: number;
  /** failed attempts that were rescheduled */
  retried: number;
  /** waiting, due or in flight right now */
  queued: number;
  inFlight: number;
  lastError: string | null;
  /** enqueue → delivered, of the last delivery */
  lastLatencyMs: number | null;
}

export interface DispatcherMetrics {
  channels: Record<string, ChannelStats>;
  /** critical alerts that reached no channel (written to stderr) */
  notDelivered: number;
}

export interface SendNowResult extends DeliveryResult {
  key: string;
}

export interface Dispatcher {
  /** Writes the alert to the outbox (once per routed channel) and wakes the lanes. Resolves once durable. */
  enqueue(message: AlertMessage): Promise<void>;
  /** One attempt through one channel now, bypassing the outbox (`alert test`). */
  sendNow(message: AlertMessage, channelKey: string): Promise<SendNowResult>;
  /** Resolves when nothing is queued, waiting for a retry, in flight or being written. */
  idle(): Promise<void>;
  /** Shutdown: delivers what is queued for at most `timeoutMs`, then stops. What is left stays in the outbox. */
  drain(timeoutMs: number): Promise<{ complete: boolean; left: number }>;
  /** Stops now: aborts attempts in flight (their rows are picked up at the next start). */
  stop(): Promise<void>;
  metrics(): DispatcherMetrics;
}

/** A row being delivered, held in memory so the hot path never reads the database. */
interface Job {
  /** outbox row id; null when the outbox write failed and the alert is delivered from memory */
  id: number | null;
  alertId: string;
  message: AlertMessage;
  attempts: number;
  maxAttempts: number;
  dueAt: number;
  enqueuedAt: number;
}

interface Lane {
  key: string;
  channel: AlertChannel;
  timeoutMs: number;
  ready: Job[];
  readyHead: number;
  waiting: Job[];
  inFlight: Set<AbortController>;
  timer: Subscription | null;
  timerAt: number;
  stats: Omit<ChannelStats, 'queued' | 'inFlight'>;
}

/** Per critical alert: how many of its channel rows are still open, and whether any delivered. */
interface CriticalTracker {
  message: AlertMessage;
  open: number;
  delivered: boolean;
  failures: { key: string; error: string }[];
}

/**
 * How long one send through a route may take: the route's timeout, or, for a route
 * with contacts (twilio), the slowest contact's attempts (its timeout × (1 + retries)),
 * since every contact is tried, and retried, within the one send. Bounding the send by
 * the route's timeout alone cut a 2-minute call off at 10 s.
 */
export const sendTimeoutMs = (route: RouteLike | undefined): number => {
  const timeout = route?.timeout ?? DEFAULT_ROUTE_TIMEOUT_MS;
  const slowest = Math.max(timeout, ...(route?.contacts ?? []).map((c) => (c.timeout ?? timeout) * (1 + (c.retries ?? 0))));
  return Math.min(slowest, TIMER_MAX_MS); // a timer waits on it: beyond that, Node fires it at once
};

/** Exponential backoff: base, 2×base, 4×base … capped at max. `attempts` ≥ 1. */
export const backoffDelay = (attempts: number, backoff: BackoffOptions): number =>
  Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.max(0, attempts - 1));

const oneLine = (s: string): string => s.replace(/\s*\n\s*/g, ' / ').trim();

/** The stderr line for a critical alert nobody received. */
export const notDeliveredLine = (message: AlertMessage, failures: readonly { key: string; error: string }[]): string =>
  maskSecrets(
    `[PANICMODE ALERT NOT DELIVERED] ${oneLine(message.title)} | ${oneLine(message.text)} | id=${message.id} ` +
      (failures.length ? `failed: ${failures.map((f) => `${f.key}: ${f.error}`).join('; ')}` : 'no alert channel is configured for critical alerts'),
  );

/** Builds the dispatcher, recovers the outbox (crash leftovers, kept failures) and starts delivering. */
export const createDispatcher = async (options: DispatcherOptions): Promise<Dispatcher> => {
  const { db, logger } = options;
  const scheduler = options.scheduler ?? asyncScheduler;
  const now = () => scheduler.now();
  const backoff = options.backoff ?? { baseMs: 1000, maxMs: 60_000 };
  const concurrency = Math.max(1, options.concurrencyPerChannel ?? 4);
  const writeStderr = options.writeStderr ?? ((line: string) => void process.stderr.write(line + '\n'));

  const lanes = new Map<string, Lane>();
  for (const [key, channel] of options.channels) {
    const route = options.routes.byKey.get(key)?.route;
    lanes.set(key, {
      key,
      channel,
      timeoutMs: sendTimeoutMs(route),
      ready: [],
      readyHead: 0,
      waiting: [],
      inFlight: new Set(),
      timer: null,
      timerAt: Infinity,
      stats: { delivered: 0, failed: 0, retried: 0, lastError: null, lastLatencyMs: null },
    });
  }
  const critical = new Map<string, CriticalTracker>();
  let notDelivered = 0;
  let stopped = false;

  // ── bookkeeping for idle(): writes and attempts in flight, waiters ──────────
  const attempts = new Set<Promise<void>>();
  let flushing = 0;
  let buffer: { message: AlertMessage; targets: KeyedRoute[] }[] = [];
  let flushed: { promise: Promise<void>; resolve: () => void } | null = null;
  let idleWaiters: (() => void)[] = [];

  const laneBusy = (l: Lane): boolean => l.ready.length > l.readyHead || l.waiting.length > 0 || l.inFlight.size > 0;
  const isIdle = (): boolean =>
    writer.pending === 0 && attempts.size === 0 && flushing === 0 && buffer.length === 0 && ![...lanes.values()].some(laneBusy);
  const checkIdle = (): void => {
    if (idleWaiters.length === 0 || !isIdle()) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const w of waiters) w();
  };

  /** Bookkeeping writes after a send are off the hot path: batched per event-loop turn. */
  const writer = createWriteBehind(db, logger, () => checkIdle());
  const track = (what: string, op: WriteOp): void => writer.push(what, op);

  // ── settling critical alerts ────────────────────────────────────────────────
  const settleCritical = (alertId: string, t: CriticalTracker): void => {
    if (t.open > 0) return;
    critical.delete(alertId);
    if (t.delivered) {
      if (t.failures.length) logger.warn('critical alert reached only some channels', { alert: alertId, failed: t.failures.map((f) => f.key).join(',') });
      track('delete', (w) => deleteAlert(w, alertId));
      return;
    }
    notDelivered++;
    writeStderr(notDeliveredLine(t.message, t.failures));
  };

  const trackerFor = (message: AlertMessage): CriticalTracker | undefined => {
    if (message.severity !== 'critical') return undefined;
    let t = critical.get(message.id);
    if (!t) critical.set(message.id, (t = { message, open: 0, delivered: false, failures: [] }));
    return t;
  };

  // ── lanes ───────────────────────────────────────────────────────────────────
  const pushReady = (lane: Lane, job: Job): void => {
    lane.ready.push(job);
  };
  const takeReady = (lane: Lane): Job | undefined => {
    if (lane.readyHead >= lane.ready.length) return undefined;
    const job = lane.ready[lane.readyHead++]!;
    // Compact now and then so a long-lived lane does not keep every job it ever had.
    if (lane.readyHead > 1024 && lane.readyHead * 2 > lane.ready.length) {
      lane.ready = lane.ready.slice(lane.readyHead);
      lane.readyHead = 0;
    }
    return job;
  };

  const armTimer = (lane: Lane): void => {
    if (stopped || lane.waiting.length === 0) {
      lane.timer?.unsubscribe();
      lane.timer = null;
      lane.timerAt = Infinity;
      return;
    }
    let due = Infinity;
    for (const j of lane.waiting) if (j.dueAt < due) due = j.dueAt;
    if (lane.timer && lane.timerAt <= due) return;
    lane.timer?.unsubscribe();
    lane.timerAt = due;
    lane.timer = scheduler.schedule(() => {
      lane.timer = null;
      // Jobs due by the time this timer was armed for are due now, whatever the clock says.
      const at = Math.max(lane.timerAt, now());
      lane.timerAt = Infinity;
      const due = lane.waiting.filter((j) => j.dueAt <= at).sort((a, b) => a.dueAt - b.dueAt);
      lane.waiting = lane.waiting.filter((j) => j.dueAt > at);
      for (const j of due) pushReady(lane, j);
      armTimer(lane);
      pump(lane);
    }, Math.max(0, due - now()));
  };

  const schedule = (lane: Lane, job: Job): void => {
    if (job.dueAt <= now()) pushReady(lane, job);
    else {
      lane.waiting.push(job);
      armTimer(lane);
    }
  };

  const pump = (lane: Lane): void => {
    while (!stopped && lane.inFlight.size < concurrency) {
      const job = takeReady(lane);
      if (!job) break;
      const controller = new AbortController();
      lane.inFlight.add(controller);
      const p = attempt(lane, job, controller).finally(() => {
        lane.inFlight.delete(controller);
        attempts.delete(p);
        pump(lane);
        checkIdle();
      });
      attempts.add(p);
    }
  };

  const attempt = async (lane: Lane, job: Job, controller: AbortController): Promise<void> => {
    job.attempts++;
    if (job.id !== null) track('update', (w) => markDelivering(w, job.id!, job.attempts));
    let error: string | null = null;
    let retryAfterMs = 0;
    try {
      await sendWithTimeout(lane.key, lane.channel, job.message, lane.timeoutMs, controller);
    } catch (err) {
      error = describeDeliveryError(err);
      // A peer that says when to come back (HTTP 429 Retry-After) is heard, within the cap.
      const after = (err as { retryAfterMs?: unknown }).retryAfterMs;
      if (typeof after === 'number' && Number.isFinite(after)) retryAfterMs = after;
    }
    // Cut short by stop(): the row stays `delivering`, and the next start gives the attempt back.
    if (stopped && error !== null) return;
    const t = job.message.severity === 'critical' ? critical.get(job.alertId) : undefined;

    if (error === null) {
      lane.stats.delivered++;
      lane.stats.lastLatencyMs = now() - job.enqueuedAt;
      if (t) {
        t.open--;
        t.delivered = true;
        if (job.id !== null) track('update', (w) => markSettled(w, job.id!, 'delivered', null));
        settleCritical(job.alertId, t);
      } else if (job.id !== null) track('delete', (w) => deleteRows(w, [job.id!]));
      return;
    }

    lane.stats.lastError = error;
    if (job.attempts < job.maxAttempts) {
      lane.stats.retried++;
      job.dueAt = now() + Math.max(backoffDelay(job.attempts, backoff), Math.min(retryAfterMs, backoff.maxMs));
      logger.warn('alert delivery failed, will retry', {
        channel: lane.key, alert: job.alertId, attempt: `${job.attempts}/${job.maxAttempts}`, retry_in_ms: job.dueAt - now(), error,
      });
      if (job.id !== null) track('update', (w) => markRetry(w, job.id!, job.dueAt, error));
      lane.waiting.push(job);
      armTimer(lane);
      return;
    }

    lane.stats.failed++;
    logger.error('alert not delivered: retries exhausted', { channel: lane.key, alert: job.alertId, attempts: job.attempts, error });
    if (t) {
      t.open--;
      t.failures.push({ key: lane.key, error });
      if (job.id !== null) track('update', (w) => markSettled(w, job.id!, 'failed', error));
      settleCritical(job.alertId, t);
    } else if (job.id !== null) track('delete', (w) => deleteRows(w, [job.id!]));
  };

  // ── enqueue: bursts become one transaction ─────────────────────────────────

  const flush = async (): Promise<void> => {
    const batch = buffer;
    const done = flushed!;
    buffer = [];
    flushed = null;
    flushing++;
    const enqueuedAt = now();
    try {
      let jobs: { key: string; job: Job }[];
      try {
        const rows = await enqueueAlerts(
          db,
          batch.map(({ message, targets }) => ({ message, targets: targets.map((r) => ({ key: r.key, retries: r.route.retries })) })),
          enqueuedAt,
        );
        jobs = rows.map((row) => ({ key: row.channel, job: jobFromEntry(row, enqueuedAt) }));
      } catch (err) {
        // The alert must still go out: deliver from memory, and say it is not durable.
        logger.error('outbox write failed: delivering from memory (not crash-safe)', { error: (err as Error).message, alerts: batch.length });
        jobs = batch.flatMap(({ message, targets }) =>
          targets.map((r) => ({
            key: r.key,
            job: { id: null, alertId: message.id, message, attempts: 0, maxAttempts: r.route.retries + 1, dueAt: enqueuedAt, enqueuedAt },
          })),
        );
      }
      const touched = new Set<Lane>();
      for (const { key, job } of jobs) {
        const lane = lanes.get(key);
        if (!lane) continue;
        const t = trackerFor(job.message);
        if (t) t.open++;
        pushReady(lane, job);
        touched.add(lane);
      }
      for (const lane of touched) pump(lane);
    } finally {
      flushing--;
      done.resolve();
      checkIdle();
    }
  };

  const jobFromEntry = (e: OutboxEntry, enqueuedAt: number): Job => ({
    id: e.id,
    alertId: e.alertId,
    message: e.message,
    attempts: e.attempts,
    maxAttempts: e.maxAttempts,
    dueAt: e.nextAttemptAt,
    enqueuedAt,
  });

  const enqueue = (message: AlertMessage): Promise<void> => {
    if (stopped) {
      logger.error('alert enqueued after the dispatcher stopped: not delivered', { alert: message.id });
      if (message.severity === 'critical') writeStderr(notDeliveredLine(message, [{ key: 'dispatcher', error: 'stopped' }]));
      return Promise.resolve();
    }
    const targets = routesFor(options.routes, message.severity).filter((r) => lanes.has(r.key));
    if (targets.length === 0) {
      if (message.severity === 'critical') {
        notDelivered++;
        writeStderr(notDeliveredLine(message, []));
      } else logger.debug('no alert channel for this severity', { severity: message.severity, alert: message.id });
      return Promise.resolve();
    }
    buffer.push({ message, targets });
    if (!flushed) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      flushed = { promise, resolve };
      // Every enqueue of the same tick joins one transaction.
      queueMicrotask(() => void flush());
    }
    return flushed.promise;
  };

  // ── recovery at start ───────────────────────────────────────────────────────
  const recovered = await recoverOutbox(db, now());
  const { entries, corrupt } = await loadOutbox(db);
  if (corrupt.length) {
    logger.error('outbox rows with unreadable payload removed', { rows: corrupt.length });
    await deleteRows(db, corrupt);
  }
  const orphans: number[] = [];
  let resumed = 0;
  for (const e of entries) {
    const t = trackerFor(e.message);
    if (e.state === 'delivered') {
      if (t) t.delivered = true;
      else orphans.push(e.id);
      continue;
    }
    const lane = lanes.get(e.channel);
    if (!lane) {
      // The config no longer has this channel: a critical alert keeps its row (and counts it failed).
      if (t) t.failures.push({ key: e.channel, error: 'channel no longer configured' });
      else orphans.push(e.id);
      continue;
    }
    if (t) t.open++;
    schedule(lane, jobFromEntry(e, e.createdAt));
    resumed++;
  }
  if (orphans.length) {
    logger.warn('outbox rows for channels no longer configured removed', { rows: orphans.length });
    await deleteRows(db, orphans);
  }
  for (const [id, t] of [...critical]) settleCritical(id, t);
  if (resumed || recovered.interrupted || recovered.retried)
    logger.info('outbox resumed', { rows: resumed, interrupted: recovered.interrupted, retried_failed: recovered.retried });
  for (const lane of lanes.values()) pump(lane);

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    for (const lane of lanes.values()) {
      armTimer(lane);
      for (const c of lane.inFlight) c.abort(new Error('dispatcher stopped'));
    }
    await Promise.allSettled([...attempts]);
    await writer.settled();
    checkIdle();
  };

  const idle = (): Promise<void> =>
    isIdle() ? Promise.resolve() : new Promise<void>((resolve) => idleWaiters.push(resolve));

  return {
    enqueue,
    sendNow: async (message, channelKey) => {
      const lane = lanes.get(channelKey);
      if (!lane) return { key: channelKey, ok: false, ms: 0, error: `no channel "${channelKey}" (have: ${[...lanes.keys()].join(', ') || 'none'})` };
      return { key: channelKey, ...(await deliverOnce(channelKey, lane.channel, message, lane.timeoutMs)) };
    },
    idle,
    drain: async (timeoutMs) => {
      let timer: NodeJS.Timeout | undefined;
      const complete = await Promise.race([
        idle().then(() => true),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
      ]);
      clearTimeout(timer);
      let left = 0;
      for (const l of lanes.values()) left += l.ready.length - l.readyHead + l.waiting.length + l.inFlight.size;
      await stop();
      if (!complete) logger.warn('alerts left in the outbox at shutdown; they are sent at the next start', { rows: left });
      return { complete, left };
    },
    stop,
    metrics: () => ({
      channels: Object.fromEntries(
        [...lanes.values()].map((l) => [
          l.key,
          { ...l.stats, queued: l.ready.length - l.readyHead + l.waiting.length + l.inFlight.size, inFlight: l.inFlight.size },
        ]),
      ),
      notDelivered,
    }),
  };
};
