/**
 * A 30 MB auth.log line without newline (issue 7, item 12), along the agent's path: a
 * real file followed by authFailures$. Prints how long after the append the failure
 * written right after the long line arrives, the peak RSS growth while it is skipped,
 * and the `overlong` counter.
 *
 *   PANICMODE_FROM_SOURCE=1 node --import tsx test/bench/overlong-line.bench.ts
 */
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { authFailures$, createAuthCounters } from '../../src/auth/auth-failures.js';
import { createLogger } from '../../src/log/logger.js';
import type { FollowEvent } from '../../src/auth/log-follower.js';

const MB = 30;
const dir = mkdtempSync(join(tmpdir(), 'pm-overlong-'));
const log = join(dir, 'auth.log');
writeFileSync(log, '');
const counters = createAuthCounters();
let opened!: () => void;
const ready = new Promise<void>((r) => (opened = r));
let arrived!: () => void;
const failure = new Promise<void>((r) => (arrived = r));
const sub = authFailures$({
  source: 'file',
  path: log,
  counters,
  logger: createLogger('bench', { level: 'error' }),
  onFollowEvent: (e: FollowEvent) => e.type === 'opened' && opened(),
}).subscribe(() => arrived());
await ready;

const long = Buffer.alloc(MB * 1024 * 1024, 'A'); // made before the baseline: not the follower's memory
const base = process.memoryUsage().rss;
let peak = base;
const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
const t0 = performance.now();
appendFileSync(log, long);
appendFileSync(log, '\nNov 30 12:00:00 web1 sshd[9]: Failed password for root from 203.0.113.9 port 4 ssh2\n');
await failure;
const ms = performance.now() - t0;
clearInterval(sampler);
sub.unsubscribe();
rmSync(dir, { recursive: true, force: true });
console.log(
  `${MB} MB line without newline, then a failure: the failure arrives ${ms.toFixed(0)} ms after the appends began; ` +
    `peak RSS +${((peak - base) / 1048576).toFixed(1)} MB; counters ${JSON.stringify(counters)}`,
);
