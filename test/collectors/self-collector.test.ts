/**
 * The self collector over a temp proc tree: open descriptors counted from
 * `<root>/self/fd`, their soft limit read from `<root>/self/limits`, unknown (-1) when
 * the tree lacks them, and the RSS baseline kept across collectors (a reload builds new
 * ones; the start-up footprint stays the one the agent began with).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHost } from '../../src/host/host.js';
import { createSelfCollector, parseFdLimit } from '../../src/collectors/self.js';

const limits = (soft: string) =>
  [
    'Limit                     Soft Limit           Hard Limit           Units     ',
    'Max cpu time              unlimited            unlimited            seconds   ',
    `Max open files            ${soft.padEnd(21)}524288               files     `,
    'Max locked memory         8388608              8388608              bytes     ',
  ].join('\n') + '\n';

test('parseFdLimit: the soft limit; unlimited is Infinity; absent is -1', () => {
  assert.equal(parseFdLimit(limits('1024')), 1024);
  assert.equal(parseFdLimit(limits('unlimited')), Infinity);
  assert.equal(parseFdLimit('Max cpu time unlimited unlimited seconds\n'), -1);
  // The real file of this process parses to a positive number.
  assert.ok(parseFdLimit(readFileSync('/proc/self/limits', 'utf8')) > 0);
});

test('self collector: descriptors and their limit from the proc root; -1 where the tree lacks them', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'pm-self-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'self', 'fd'), { recursive: true });
  // 91 entries: the collector subtracts the one its own readdir holds.
  for (let i = 0; i < 91; i++) writeFileSync(join(root, 'self', 'fd', String(i)), '');
  writeFileSync(join(root, 'self', 'limits'), limits('100'));
  const host = createHost(root);
  const c = createSelfCollector({ baseline: {} });
  t.after(() => c.close?.());
  const s = c.derive(undefined, await c.read(host), 0)!;
  assert.equal(s.openFds, 90);
  assert.equal(s.fdLimit, 100);

  const bare = mkdtempSync(join(tmpdir(), 'pm-self-bare-'));
  t.after(() => rmSync(bare, { recursive: true, force: true }));
  const c2 = createSelfCollector({ baseline: {} });
  t.after(() => c2.close?.());
  const s2 = c2.derive(undefined, await c2.read(createHost(bare)), 0)!;
  assert.equal(s2.openFds, -1);
  assert.equal(s2.fdLimit, -1);
});

test('self collector: the RSS baseline is the first reading, kept by a collector built later (a reload)', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'pm-self-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const host = createHost(root);
  const baseline = {};
  let rss = 60 * 1048576;
  const first = createSelfCollector({ baseline, rss: () => rss });
  const a = first.derive(undefined, await first.read(host), 0)!;
  first.close?.();
  rss = 100 * 1048576;
  const second = createSelfCollector({ baseline, rss: () => rss });
  t.after(() => second.close?.());
  const b = second.derive(undefined, await second.read(host), 0)!;
  assert.equal(a.rssBaselineBytes, 60 * 1048576);
  assert.equal(b.rssBaselineBytes, 60 * 1048576);
  assert.equal(b.rssBytes, 100 * 1048576);
});

test('self collector: event-loop lag is how late the loop was (about 0 when quiet), and a stall of 1.6 s reads over 1 s', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'pm-self-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const host = createHost(root);
  const c = createSelfCollector({ baseline: {} });
  t.after(() => c.close?.());
  await c.read(host); // starts the histogram
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  await sleep(1600);
  const quiet = (await c.read(host)).eventLoopLagMs;
  // the histogram records whole sampling periods (500 ms): a quiet loop is not 500 ms late
  assert.ok(quiet < 250, `quiet loop read as ${quiet} ms late`);
  const start = Date.now();
  while (Date.now() - start < 1600); // a stall: every sample due during it comes late
  await sleep(600);
  const stalled = (await c.read(host)).eventLoopLagMs;
  assert.ok(stalled >= 1000 && stalled <= 1700, `a 1.6 s stall read as ${stalled} ms`);
});
