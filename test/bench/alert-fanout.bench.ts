/**
 * Alert fan-out: 1,000 critical alerts through the durable outbox to 3 local webhook
 * receivers (the real webhook channel, got over HTTP on 127.0.0.1). Reports, per
 * receiver, how many arrived, throughput (alerts/s) and p50/p99 latency from enqueue
 * to arrival. Run 2: the third receiver hangs (5 s route timeout); the other two's
 * figures should barely move. Figures only, no timed assertions.
 *
 *   node --import tsx test/bench/alert-fanout.bench.ts [N] [concurrencyPerChannel]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../src/storage/database.js';
import { createDispatcher } from '../../src/alerts/dispatcher.js';
import { buildRouting } from '../../src/alerts/routing.js';
import { createChannel } from '../../src/alerts/channels/index.js';
import { createLogger } from '../../src/log/logger.js';
import { alertMessage, startReceiver, type Receiver } from '../alerts/outbox/dispatcher-peers.js';

const N = Number(process.argv[2] ?? 1000);
const CONCURRENCY = Number(process.argv[3] ?? 8);

const quantile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;

const run = async (label: string, hangThird: boolean): Promise<void> => {
  const dir = mkdtempSync(join(tmpdir(), 'panicmode-bench-fanout-'));
  const opened = await openDatabase(join(dir, 'outbox.db'));
  const receivers: Receiver[] = [await startReceiver(), await startReceiver(), await startReceiver()];
  if (hangThird) receivers[2]!.set('/hook', { kind: 'hang' });
  const routesList = receivers.map((r) => ({ channel: 'webhook' as const, webhook_url: `${r.url}/hook`, retries: 3, timeout: hangThird ? 5000 : 10_000 }));
  const routes = buildRouting({ critical: routesList });
  const channels = new Map(routes.all.map((r) => [r.key, createChannel(r.route, {})]));
  const dispatcher = await createDispatcher({
    db: opened.db,
    channels,
    routes,
    logger: createLogger('bench', { level: 'error' }),
    concurrencyPerChannel: CONCURRENCY,
  });

  const enqueuedAt = new Map<string, number>();
  const t0 = performance.now();
  const ids = Array.from({ length: N }, (_, i) => `${label}-${i}`);
  // Alerts arrive as a burst (a storm of distinct incidents), all in the same tick.
  await Promise.all(
    ids.map((id) => {
      enqueuedAt.set(id, performance.now());
      return dispatcher.enqueue(alertMessage(id, 'critical'));
    }),
  );
  const durable = performance.now() - t0;
  const healthy = hangThird ? receivers.slice(0, 2) : receivers;
  const deadline = Date.now() + 120_000;
  while (healthy.some((r) => r.delivered('/hook').length < N) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));

  console.log(`\n${label}: ${N} critical alerts → 3 webhook receivers${hangThird ? ' (receiver 3 hangs, 5 s timeout)' : ''}, concurrency ${CONCURRENCY}/channel`);
  console.log(`  burst durable in the outbox (one transaction) after ${durable.toFixed(0)} ms`);
  receivers.forEach((r, i) => {
    const arrivals = r.received.filter((x) => x.answered === 200);
    const ok = new Set(arrivals.map((x) => x.id));
    if (hangThird && i === 2) {
      console.log(`  receiver ${i + 1}: hanging; ${r.received.length} requests held open, ${dispatcher.metrics().channels[routes.all[i]!.key]!.queued} alerts still queued for it (retried later, never blocking the others)`);
      return;
    }
    const lat = arrivals.map((x) => x.at - enqueuedAt.get(x.id)!).sort((a, b) => a - b);
    const last = Math.max(...arrivals.map((x) => x.at));
    console.log(
      `  receiver ${i + 1}: ${ok.size}/${N} delivered, ${(ok.size / ((last - t0) / 1000)).toFixed(0)} alerts/s, ` +
        `latency p50 ${quantile(lat, 0.5).toFixed(0)} ms, p99 ${quantile(lat, 0.99).toFixed(0)} ms, max ${lat[lat.length - 1]!.toFixed(0)} ms`,
    );
  });
  await dispatcher.stop();
  await Promise.all(receivers.map((r) => r.close()));
  await opened.close();
  rmSync(dir, { recursive: true, force: true });
};

await run('all-healthy', false);
await run('one-hanging', true);
