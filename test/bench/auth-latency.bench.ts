/**
 * From the append of the threshold-crossing line to the block backend being invoked,
 * along the agent's own path: a real file followed by authFailures$ → detectBruteForce
 * (default rule: > 5 in 60 s) → incidentFlow (dedup, escalate) → the incident handler →
 * the action executor (timeout, breaker, concurrency) → block_ip → the ban manager (never-block
 * check, SQLite file) → FirewallBackend.ban(), where the time is taken. 200 trials, each
 * a fresh address whose first 5 failures are already in; the 6th line's append is
 * timed. Prints p50/p99.
 *
 *   node --import tsx test/bench/auth-latency.bench.ts [--trials N]
 */
import { mkdtempSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { authFailures$ } from '../../src/auth/auth-failures.js';
import { detectBruteForce } from '../../src/auth/detect-brute-force.js';
import { defaultBruteForceRule } from '../../src/auth/brute-force-rule.js';
import type { FollowEvent } from '../../src/auth/log-follower.js';
import { createLogger } from '../../src/log/logger.js';
import { incidentFlow } from '../../src/incidents/incident-flow.js';
import { createIncidentHandler } from '../../src/incidents/incident-handler.js';
import { createActionExecutor } from '../../src/actions/executor.js';
import { blockIpAction } from '../../src/actions/block-ip.js';
import { createBanManager } from '../../src/firewall/ban-manager.js';
import { createNeverBlock } from '../../src/firewall/never-block.js';
import type { FirewallBackend } from '../../src/firewall/backend.js';
import { openDatabase } from '../../src/storage/database.js';

const i = process.argv.indexOf('--trials');
const TRIALS = i === -1 ? 200 : Number(process.argv[i + 1]);

const dir = mkdtempSync(join(tmpdir(), 'panicmode-latency-'));
const log = join(dir, 'auth.log');
writeFileSync(log, '');
const ts = () => new Date().toISOString().replace('Z', '+00:00');
const fail = (ip: string, n: number) => `${ts()} web1 sshd[${1000 + n}]: Failed password for invalid user admin from ${ip} port ${40000 + n} ssh2\n`;

let resolveBlock: ((ip: string) => void) | null = null;
const quiet = createLogger('bench', { level: 'error' });
const opened$ = await openDatabase(join(dir, 'bench.db'));
// The block backend: records the moment it is asked to ban.
const backend: FirewallBackend = {
  name: 'script',
  start: async () => {},
  check: async () => {},
  ban: async (entries) => {
    for (const e of entries) resolveBlock?.(e.target);
    return [];
  },
  unban: async () => [],
  list: async () => null,
  flush: async () => {},
  stop: async () => {},
};
const bans = createBanManager({
  db: opened$.db,
  backend,
  options: { restore_on_startup: false, ban_duration: 3_600_000, ban_increment: { enabled: true, factor: 2, max: 7 * 86_400_000 }, ipv6_prefix: 64 },
  neverBlock: createNeverBlock({ whitelist: [] }),
  logger: quiet,
});
await bans.start();
const executor = createActionExecutor({
  actions: new Map([['block_ip', blockIpAction(bans)]]),
  dryRun: false,
  timeoutMs: 10_000,
  maxConcurrency: 5,
  breaker: { maxFailures: 5, failureWindowMs: 60_000, openDurationMs: 30_000 },
  logger: quiet,
});
const handler = createIncidentHandler({ executor, alert: () => {}, record: () => {}, logger: quiet });
let opened!: () => void;
const ready = new Promise<void>((r) => (opened = r));
const sub = authFailures$({
  source: 'file',
  path: log,
  logger: createLogger('bench', { level: 'warn' }),
  onFollowEvent: (e: FollowEvent) => e.type === 'opened' && opened(),
})
  .pipe(detectBruteForce(defaultBruteForceRule), incidentFlow({ dedupWindowMs: 300_000 }))
  .subscribe((incident) => handler.handle(incident));

await ready;
const samples: number[] = [];
try {
  for (let t = 0; t < TRIALS; t++) {
    const ip = `203.0.${113 + (t >> 8)}.${t & 255}`;
    // five failures: at the threshold, not over it
    appendFileSync(log, [0, 1, 2, 3, 4].map((n) => fail(ip, n)).join(''));
    await new Promise((r) => setTimeout(r, 15));
    const blocked = new Promise<string>((resolve) => (resolveBlock = resolve));
    const t0 = performance.now();
    appendFileSync(log, fail(ip, 5));
    const got = await Promise.race([blocked, new Promise<string>((_, rej) => setTimeout(() => rej(new Error(`trial ${t}: no block within 5 s`)), 5000))]);
    samples.push(performance.now() - t0);
    if (got !== ip) throw new Error(`trial ${t}: blocked ${got}, expected ${ip}`);
  }
} finally {
  sub.unsubscribe();
  await handler.idle();
  await executor.drain(5000);
  await bans.stop();
  await opened$.close();
  rmSync(dir, { recursive: true, force: true });
}
samples.sort((a, b) => a - b);
const q = (p: number) => samples[Math.min(samples.length - 1, Math.ceil((p / 100) * samples.length) - 1)]!;
console.log(`append → block backend invoked (through handler, executor, ban manager), ${samples.length} trials: p50 ${q(50).toFixed(2)} ms, p90 ${q(90).toFixed(2)} ms, p99 ${q(99).toFixed(2)} ms, max ${samples.at(-1)!.toFixed(2)} ms`);
