/**
 * Alert delivery across kill -9: a child agent (test/alerts/fixtures/outbox-child.ts)
 * queues N critical alerts for 2 channels and starts delivering to a local receiver;
 * it is SIGKILLed after about a fifth were delivered; a second child on the same
 * database finishes. Reports the share delivered (must be 100 %), the duplicates, and
 * how long the restart took to deliver the rest.
 *
 *   node --import tsx test/bench/alert-kill9.bench.ts [N]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startReceiver } from '../alerts/outbox/dispatcher-peers.js';

const N = Number(process.argv[2] ?? 1000);
const fixture = join(dirname(fileURLToPath(import.meta.url)), '..', 'alerts', 'fixtures', 'outbox-child.ts');
const dir = mkdtempSync(join(tmpdir(), 'panicmode-bench-kill9-'));
const db = join(dir, 'outbox.db');
const rx = await startReceiver();
rx.set('/a', { kind: 'ok', delayMs: 2 });
rx.set('/b', { kind: 'ok', delayMs: 2 });

const child = (args: string[]) => {
  const c = spawn(process.execPath, ['--import', 'tsx', fixture, '--db', db, '--url', rx.url, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  c.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  return { c, out: () => out, exited: new Promise<number | null>((r) => c.on('exit', (code) => r(code))) };
};
const until = async (cond: () => boolean) => {
  while (!cond()) await new Promise((r) => setTimeout(r, 2));
};

try {
  const first = child(['--enqueue', String(N)]);
  await until(() => first.out().includes('enqueued'));
  await until(() => rx.delivered('/a').length >= N / 5);
  first.c.kill('SIGKILL');
  await first.exited;
  const before = { a: new Set(rx.delivered('/a')).size, b: new Set(rx.delivered('/b')).size };

  const t0 = performance.now();
  const second = child([]);
  const code = await second.exited;
  const restartMs = performance.now() - t0;

  console.log(`\nkill -9 with ${N} critical alerts queued for 2 channels (second child exit ${code})`);
  for (const [path, k] of [['/a', 'a'], ['/b', 'b']] as const) {
    const counts = new Map<string, number>();
    for (const id of rx.delivered(path)) counts.set(id, (counts.get(id) ?? 0) + 1);
    const delivered = Array.from({ length: N }, (_, i) => `k9-${i}`).filter((id) => counts.has(id)).length;
    const dup = [...counts.values()].filter((c) => c > 1).length;
    const maxCopies = Math.max(...counts.values());
    console.log(
      `  channel ${k}: ${before[k]} delivered before the kill; after restart ${delivered}/${N} = ${((100 * delivered) / N).toFixed(1)} % delivered, ` +
        `${dup} delivered twice (max copies ${maxCopies})`,
    );
  }
  console.log(`  restart → everything delivered and exited: ${restartMs.toFixed(0)} ms (includes process start through tsx)`);
} finally {
  await rx.close();
  rmSync(dir, { recursive: true, force: true });
}
