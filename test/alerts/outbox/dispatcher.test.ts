/**
 * The dispatcher against real SQLite files and real HTTP receivers on 127.0.0.1:
 * fan-out, retry with backoff, refused connections, a hanging channel that must not
 * delay the others, undeliverable critical alerts, restart recovery.
 */
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type OpenedDatabase } from '../../../src/storage/database.js';
import { createDispatcher, backoffDelay, type Dispatcher, type DispatcherOptions } from '../../../src/alerts/dispatcher.js';
import { buildRouting, type RouteLike } from '../../../src/alerts/routing.js';
import { countOutbox, enqueueAlerts, markDelivering } from '../../../src/alerts/outbox.js';
import { memoryLogger } from '../../../src/log/logger.js';
import type { AlertChannel } from '../../../src/alerts/alert.js';
import { alertMessage, httpChannel, refusedUrl, startReceiver, type Receiver } from './dispatcher-peers.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const tempDb = async (): Promise<{ opened: OpenedDatabase; path: string }> => {
  const dir = mkdtempSync(join(tmpdir(), 'panicmode-outbox-'));
  const path = join(dir, 'panicmode.db');
  const opened = await openDatabase(path);
  assert.equal(opened.fallbackReason, null);
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  cleanups.push(() => opened.close());
  return { opened, path };
};

const receiver = async (): Promise<Receiver> => {
  const r = await startReceiver();
  cleanups.push(() => r.close());
  return r;
};

/** A test route: the channel key stands for the channel name (one route per channel). */
type TestRoute = Omit<RouteLike, 'channel'> & { key: string };

interface Setup {
  routes: Record<'critical' | 'warning' | 'info', TestRoute[]>;
  channels: Record<string, AlertChannel>;
}

/** Routes where each channel's key is its name (one route per channel). */
const start = async (
  opened: OpenedDatabase,
  setup: Setup,
  extra: Partial<DispatcherOptions> = {},
): Promise<{ d: Dispatcher; stderr: string[]; logger: ReturnType<typeof memoryLogger> }> => {
  const strip = (l: TestRoute[]) => l.map(({ key, ...r }) => ({ ...r, channel: key }));
  const routes = buildRouting({ critical: strip(setup.routes.critical), warning: strip(setup.routes.warning), info: strip(setup.routes.info) });
  const stderr: string[] = [];
  const logger = memoryLogger();
  const d = await createDispatcher({
    db: opened.db,
    channels: new Map(Object.entries(setup.channels)),
    routes,
    logger,
    backoff: { baseMs: 50, maxMs: 400 },
    writeStderr: (l) => stderr.push(l),
    ...extra,
  });
  cleanups.push(() => d.stop());
  return { d, stderr, logger };
};

test('backoff doubles from the base and is capped', () => {
  const b = { baseMs: 1000, maxMs: 5000 };
  assert.deepEqual([1, 2, 3, 4, 5].map((n) => backoffDelay(n, b)), [1000, 2000, 4000, 5000, 5000]);
});

test('fans one alert out to every channel of its severity, once each, and empties the outbox', async () => {
  const { opened } = await tempDb();
  const rx = await receiver();
  const names = ['a', 'b', 'c'];
  const { d } = await start(opened, {
    routes: { critical: names.map((key) => ({ key })), warning: [{ key: 'a' }], info: [] },
    channels: Object.fromEntries(names.map((n) => [n, httpChannel(n, `${rx.url}/${n}`)])),
  });
  await d.enqueue(alertMessage('crit-1', 'critical'));
  await d.enqueue(alertMessage('warn-1', 'warning'));
  await d.enqueue(alertMessage('info-1', 'info')); // no info route: not sent anywhere
  await d.idle();
  assert.deepEqual(rx.delivered('/a').sort(), ['crit-1', 'warn-1']);
  assert.deepEqual(rx.delivered('/b'), ['crit-1']);
  assert.deepEqual(rx.delivered('/c'), ['crit-1']);
  assert.deepEqual(await countOutbox(opened.db), { pending: 0, delivering: 0, delivered: 0, failed: 0 });
  const m = d.metrics();
  assert.equal(m.channels.a!.delivered, 2);
  assert.equal(m.channels.b!.delivered, 1);
  assert.equal(m.notDelivered, 0);
});

test('a burst of alerts is written in one go and every one is delivered; a re-enqueued id is not sent twice', async () => {
  const { opened } = await tempDb();
  const rx = await receiver();
  const { d } = await start(opened, { routes: { critical: [{ key: 'a' }], warning: [], info: [] }, channels: { a: httpChannel('a', `${rx.url}/a`) } });
  const ids = Array.from({ length: 100 }, (_, i) => `burst-${i}`);
  const written = ids.map((id) => d.enqueue(alertMessage(id)));
  // The same alert again in the same tick: the outbox keys rows per (alert, channel).
  written.push(d.enqueue(alertMessage('burst-0')));
  await Promise.all(written);
  await d.idle();
  assert.deepEqual(rx.delivered('/a').sort(), [...ids].sort());
});

test('a 500 is retried after the backoff and the alert is delivered once', async () => {
  const { opened } = await tempDb();
  const rx = await receiver();
  rx.set('/flaky', { kind: 'fail', times: 2, status: 500 });
  const { d, logger } = await start(opened, {
    routes: { critical: [{ key: 'flaky', retries: 3 }, { key: 'good' }], warning: [], info: [] },
    channels: { flaky: httpChannel('flaky', `${rx.url}/flaky`), good: httpChannel('good', `${rx.url}/good`) },
  });
  await d.enqueue(alertMessage('retry-1'));
  await d.idle();
  const attempts = rx.received.filter((r) => r.path === '/flaky');
  assert.deepEqual(attempts.map((r) => r.answered), [500, 500, 200]);
  assert.deepEqual(rx.delivered('/flaky'), ['retry-1']);
  // backoff 50 ms then 100 ms (loose lower bounds: timers never fire early)
  assert.ok(attempts[1]!.at - attempts[0]!.at >= 45, `first retry after ${attempts[1]!.at - attempts[0]!.at} ms`);
  assert.ok(attempts[2]!.at - attempts[1]!.at >= 95, `second retry after ${attempts[2]!.at - attempts[1]!.at} ms`);
  const m = d.metrics().channels.flaky!;
  assert.equal(m.delivered, 1);
  assert.equal(m.retried, 2);
  assert.equal(m.lastError, 'HTTP 500');
  assert.ok(logger.lines.some((l) => l.includes('will retry') && l.includes('channel=flaky') && l.includes('attempt=1/4')));
  assert.deepEqual(await countOutbox(opened.db), { pending: 0, delivering: 0, delivered: 0, failed: 0 });
});

test('a refused connection uses up its retries; a non-critical alert then leaves the outbox with an error logged', async () => {
  const { opened } = await tempDb();
  const rx = await receiver();
  const { d, logger, stderr } = await start(opened, {
    routes: { critical: [], warning: [{ key: 'down', retries: 2 }, { key: 'up' }], info: [] },
    channels: { down: httpChannel('down', `${await refusedUrl()}/x`), up: httpChannel('up', `${rx.url}/up`) },
  });
  await d.enqueue(alertMessage('refused-1', 'warning'));
  await d.idle();
  assert.deepEqual(rx.delivered('/up'), ['refused-1']);
  const m = d.metrics().channels.down!;
  assert.equal(m.failed, 1);
  assert.equal(m.retried, 2);
  assert.match(m.lastError ?? '', /fetch failed|ECONNREFUSED/);
  assert.ok(logger.lines.some((l) => l.includes('retries exhausted') && l.includes('channel=down') && l.includes('attempts=3')));
  assert.deepEqual(stderr, []);
  assert.deepEqual(await countOutbox(opened.db), { pending: 0, delivering: 0, delivered: 0, failed: 0 });
});

test('a hanging channel never delays the others; its attempts end at the route timeout', async () => {
  const { opened } = await tempDb();
  const rx = await receiver();
  rx.set('/hang', { kind: 'hang' });
  const { d } = await start(opened, {
    routes: { critical: [{ key: 'hang', timeout: 5000 }, { key: 'a' }, { key: 'b' }], warning: [], info: [] },
    channels: { hang: httpChannel('hang', `${rx.url}/hang`), a: httpChannel('a', `${rx.url}/a`), b: httpChannel('b', `${rx.url}/b`) },
    // one slot on the hanging lane: 20 alerts queue behind it, and must not queue the others
  }, { concurrencyPerChannel: 1 });
  const ids = Array.from({ length: 20 }, (_, i) => `hang-${i}`);
  const t0 = performance.now();
  await Promise.all(ids.map((id) => d.enqueue(alertMessage(id))));
  // Not a stopwatch (a loaded machine is slow): the others must all be delivered while the
  // hanging attempt is still in flight, i.e. before its 5 s timeout could have released them.
  const deadline = t0 + 4000;
  while ((rx.delivered('/a').length < 20 || rx.delivered('/b').length < 20) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  const elapsed = performance.now() - t0;
  assert.equal(rx.delivered('/a').length, 20, `a delivered ${rx.delivered('/a').length}/20 in ${elapsed} ms`);
  assert.equal(rx.delivered('/b').length, 20);
  assert.equal(d.metrics().channels.hang!.inFlight, 1, 'the hanging attempt has not ended yet');
  assert.equal(d.metrics().channels.hang!.queued, 20);
});

test('an attempt that outlives the timeout fails with "timed out after N ms" and is retried', async () => {
  const { opened } = await tempDb();
  const rx = await receiver();
  rx.set('/hang', { kind: 'hang' });
  const { d } = await start(opened, {
    routes: { critical: [], warning: [{ key: 'hang', timeout: 150, retries: 1 }], info: [] },
    channels: { hang: httpChannel('hang', `${rx.url}/hang`) },
  });
  const t0 = performance.now();
  await d.enqueue(alertMessage('timeout-1', 'warning'));
  await d.idle();
  const elapsed = performance.now() - t0;
  const m = d.metrics().channels.hang!;
  assert.equal(m.failed, 1);
  assert.equal(m.lastError, 'timed out after 150 ms');
  assert.equal(rx.received.filter((r) => r.path === '/hang').length, 2);
  // 2 × 150 ms timeout + 50 ms backoff, well under the 5 s a missing timeout would take
  assert.ok(elapsed >= 340 && elapsed < 2000, `took ${elapsed} ms`);
});

test('a critical alert every channel failed goes to stderr and stays in the outbox; the next start delivers it', async () => {
  const { opened } = await tempDb();
  const dead = `${await refusedUrl()}/x`;
  const rx = await receiver();
  rx.set('/e500', { kind: 'fail', times: 100, status: 503 });
  const setup = (urlA: string, urlB: string): Setup => ({
    routes: { critical: [{ key: 'a', retries: 1 }, { key: 'b', retries: 0 }], warning: [], info: [] },
    channels: { a: httpChannel('a', urlA), b: httpChannel('b', urlB) },
  });
  const first = await start(opened, setup(dead, `${rx.url}/e500`));
  await first.d.enqueue(alertMessage('lost-1', 'critical'));
  await first.d.idle();
  assert.equal(first.stderr.length, 1);
  const line = first.stderr[0]!;
  assert.ok(line.startsWith('[PANICMODE ALERT NOT DELIVERED] CRITICAL high_cpu on web-1: CPU 97.3% > 80%'), line);
  assert.ok(line.includes('id=lost-1'));
  assert.match(line, /a: fetch failed/);
  assert.ok(line.includes('b: HTTP 503'));
  assert.equal(first.d.metrics().notDelivered, 1);
  assert.deepEqual(await countOutbox(opened.db), { pending: 0, delivering: 0, delivered: 0, failed: 2 });
  await first.d.stop();

  // Next start, channels healthy: both rows are tried again with a fresh budget.
  rx.set('/e500', { kind: 'ok' });
  const second = await start(opened, setup(`${rx.url}/a`, `${rx.url}/e500`));
  await second.d.idle();
  assert.deepEqual(rx.delivered('/a'), ['lost-1']);
  assert.deepEqual(rx.delivered('/e500'), ['lost-1']);
  assert.deepEqual(second.stderr, []);
  assert.deepEqual(await countOutbox(opened.db), { pending: 0, delivering: 0, delivered: 0, failed: 0 });
});

test('a critical alert that reached one channel is not written to stderr and leaves the outbox', async () => {
  const { opened } = await tempDb();
  const rx = await receiver();
  const { d, stderr, logger } = await start(opened, {
    routes: { critical: [{ key: 'down', retries: 1 }, { key: 'up' }], warning: [], info: [] },
    channels: { down: httpChannel('down', `${await refusedUrl()}/x`), up: httpChannel('up', `${rx.url}/up`) },
  });
  await d.enqueue(alertMessage('partial-1', 'critical'));
  await d.idle();
  assert.deepEqual(stderr, []);
  assert.deepEqual(rx.delivered('/up'), ['partial-1']);
  assert.ok(logger.lines.some((l) => l.includes('reached only some channels') && l.includes('failed=down')));
  assert.deepEqual(await countOutbox(opened.db), { pending: 0, delivering: 0, delivered: 0, failed: 0 });
});

test('a critical alert with no channel at all goes to stderr', async () => {
  const { opened } = await tempDb();
  const { d, stderr } = await start(opened, { routes: { critical: [], warning: [], info: [] }, channels: {} });
  await d.enqueue(alertMessage('nowhere-1', 'critical'));
  await d.enqueue(alertMessage('nowhere-2', 'warning'));
  assert.equal(stderr.length, 1);
  assert.match(stderr[0]!, /^\[PANICMODE ALERT NOT DELIVERED\] .*id=nowhere-1 no alert channel is configured for critical alerts$/);
});

test('recovery messages are routed like the alert they resolve', async () => {
  const { opened } = await tempDb();
  const rx = await receiver();
  const { d } = await start(opened, {
    routes: { critical: [], warning: [{ key: 'w' }], info: [{ key: 'i' }] },
    channels: { w: httpChannel('w', `${rx.url}/w`), i: httpChannel('i', `${rx.url}/i`) },
  });
  await d.enqueue(alertMessage('cpu-firing', 'warning', 'firing'));
  await d.enqueue(alertMessage('cpu-resolved', 'warning', 'resolved'));
  await d.idle();
  assert.deepEqual(rx.received.filter((r) => r.path === '/w').map((r) => [r.id, r.status]).sort(), [['cpu-firing', 'firing'], ['cpu-resolved', 'resolved']]);
  assert.deepEqual(rx.delivered('/i'), []);
});

test('a restart delivers rows left pending or mid-attempt by a crash, giving the cut-short attempt back', async () => {
  const { opened } = await tempDb();
  const rx = await receiver();
  // What a crashed process leaves: rows written, one of them mid-attempt on its last try.
  const rows = await enqueueAlerts(
    opened.db,
    [
      { message: alertMessage('left-1', 'critical'), targets: [{ key: 'a', retries: 0 }, { key: 'b', retries: 3 }] },
      { message: alertMessage('left-2', 'warning'), targets: [{ key: 'a', retries: 0 }] },
    ],
    Date.now(),
  );
  assert.equal(rows.length, 3);
  await markDelivering(opened.db, rows[0]!.id, 1);
  assert.deepEqual(await countOutbox(opened.db), { pending: 2, delivering: 1, delivered: 0, failed: 0 });

  const { d, logger } = await start(opened, {
    routes: { critical: [{ key: 'a' }, { key: 'b' }], warning: [{ key: 'a' }], info: [] },
    channels: { a: httpChannel('a', `${rx.url}/a`), b: httpChannel('b', `${rx.url}/b`) },
  });
  await d.idle();
  assert.deepEqual(rx.delivered('/a').sort(), ['left-1', 'left-2']);
  assert.deepEqual(rx.delivered('/b'), ['left-1']);
  assert.ok(logger.lines.some((l) => l.includes('outbox resumed') && l.includes('rows=3') && l.includes('interrupted=1')));
  assert.deepEqual(await countOutbox(opened.db), { pending: 0, delivering: 0, delivered: 0, failed: 0 });
});

test('drain delivers what is due within its bound and leaves a waiting retry in the outbox', async () => {
  const { opened } = await tempDb();
  const rx = await receiver();
  rx.set('/slow-fail', { kind: 'fail', times: 1, status: 500 });
  const { d } = await start(
    opened,
    {
      routes: { critical: [], warning: [{ key: 'ok' }, { key: 'sf', retries: 2 }], info: [] },
      channels: { ok: httpChannel('ok', `${rx.url}/ok`), sf: httpChannel('sf', `${rx.url}/slow-fail`) },
    },
    { backoff: { baseMs: 60_000, maxMs: 60_000 } },
  );
  await d.enqueue(alertMessage('drain-1', 'warning'));
  const t0 = performance.now();
  const result = await d.drain(300);
  assert.ok(performance.now() - t0 < 1000);
  assert.deepEqual(result, { complete: false, left: 1 });
  assert.deepEqual(rx.delivered('/ok'), ['drain-1']);
  const rows = await opened.db.selectFrom('alert_outbox').select(['alert_id', 'channel', 'state', 'attempts', 'last_error']).execute();
  assert.deepEqual(rows, [{ alert_id: 'drain-1', channel: 'sf', state: 'pending', attempts: 1, last_error: 'HTTP 500' }]);
});

test('sendNow reports one attempt per channel without touching the outbox', async () => {
  const { opened } = await tempDb();
  const rx = await receiver();
  rx.set('/bad', { kind: 'fail', times: 1, status: 401 });
  const { d } = await start(opened, {
    routes: { critical: [{ key: 'good' }, { key: 'bad' }], warning: [], info: [] },
    channels: { good: httpChannel('good', `${rx.url}/good`), bad: httpChannel('bad', `${rx.url}/bad`) },
  });
  const good = await d.sendNow(alertMessage('test-1', 'info'), 'good');
  const bad = await d.sendNow(alertMessage('test-1', 'info'), 'bad');
  const none = await d.sendNow(alertMessage('test-1', 'info'), 'nope');
  assert.equal(good.ok, true);
  assert.equal(bad.ok, false);
  assert.equal(bad.error, 'HTTP 401');
  assert.equal(none.error, 'no channel "nope" (have: good, bad)');
  assert.deepEqual(await countOutbox(opened.db), { pending: 0, delivering: 0, delivered: 0, failed: 0 });
});

test("a peer's Retry-After stretches the backoff (within its cap)", async () => {
  const { opened } = await tempDb();
  const at: number[] = [];
  const limited: AlertChannel = {
    name: 'limited',
    send: async () => {
      at.push(performance.now());
      if (at.length === 1) throw Object.assign(new Error('HTTP 429: slow down'), { retryAfterMs: 300 });
    },
  };
  const { d } = await start(opened, { routes: { critical: [], warning: [{ key: 'limited' }], info: [] }, channels: { limited } });
  await d.enqueue(alertMessage('429-1', 'warning'));
  await d.idle();
  assert.equal(at.length, 2);
  // base backoff is 50 ms; the peer asked for 300 ms (the cap is 400 ms)
  assert.ok(at[1]! - at[0]! >= 295, `retried after ${at[1]! - at[0]!} ms`);
});
