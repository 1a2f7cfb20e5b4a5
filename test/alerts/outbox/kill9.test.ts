/**
 * The outbox survives kill -9: a child process enqueues 1,000 critical alerts for two
 * channels and starts delivering to a slow-ish local receiver; it is SIGKILLed midway;
 * a second child on the same database delivers the rest. Every alert reaches every
 * channel, and none more than twice (only an attempt in flight at the kill repeats).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startReceiver } from './dispatcher-peers.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixture = join(here, '..', 'fixtures', 'outbox-child.ts');
const dir = mkdtempSync(join(tmpdir(), 'panicmode-kill9-'));
const children: ChildProcess[] = [];
after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const startChild = (args: string[]): { child: ChildProcess; stdout: () => string; exited: Promise<{ code: number | null; signal: string | null }> } => {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      if (code) process.stderr.write(err);
      resolve({ code, signal });
    }),
  );
  return { child, stdout: () => out, exited };
};

const waitFor = async (what: string, cond: () => boolean, timeoutMs: number): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

test('kill -9 with 1,000 alerts queued, then restart: every alert arrives on every channel, none more than twice', { timeout: 90_000 }, async () => {
  const N = 1000;
  const rx = await startReceiver();
  after(() => rx.close());
  rx.set('/a', { kind: 'ok', delayMs: 4 });
  rx.set('/b', { kind: 'ok', delayMs: 4 });
  const db = join(dir, 'outbox.db');

  const first = startChild(['--db', db, '--url', rx.url, '--enqueue', String(N)]);
  await waitFor('the first child to enqueue', () => first.stdout().includes('enqueued'), 30_000);
  await waitFor('deliveries to start', () => rx.delivered('/a').length >= N * 0.2, 30_000);
  first.child.kill('SIGKILL');
  const killed = await first.exited;
  assert.equal(killed.signal, 'SIGKILL');
  const beforeRestart = { a: new Set(rx.delivered('/a')).size, b: new Set(rx.delivered('/b')).size };
  assert.ok(beforeRestart.a < N || beforeRestart.b < N, 'the kill came too late to test anything');

  const second = startChild(['--db', db, '--url', rx.url]);
  const done = await second.exited;
  assert.equal(done.code, 0);
  assert.ok(second.stdout().includes('idle'));

  for (const path of ['/a', '/b']) {
    const counts = new Map<string, number>();
    for (const id of rx.delivered(path)) counts.set(id, (counts.get(id) ?? 0) + 1);
    const missing = Array.from({ length: N }, (_, i) => `k9-${i}`).filter((id) => !counts.has(id));
    assert.deepEqual(missing, [], `${path}: ${missing.length} alerts never arrived`);
    assert.equal(counts.size, N);
    const twice = [...counts.values()].filter((c) => c === 2).length;
    const more = [...counts.values()].filter((c) => c > 2).length;
    assert.equal(more, 0, `${path}: ${more} alerts arrived more than twice`);
    // Only what was in flight at the kill (4 per channel), or delivered but not yet
    // crossed off by the write-behind batch, can repeat: a handful, never the backlog.
    assert.ok(twice <= 40, `${path}: ${twice} duplicates`);
    process.stdout.write(`# ${path}: ${beforeRestart[path === '/a' ? 'a' : 'b']}/${N} before the kill, ${N} after restart, ${twice} delivered twice\n`);
  }
});
