/**
 * From the append of the threshold-crossing line to the block backend being invoked:
 * a real file followed by authFailures$ → detectBruteForce (default rule: > 5 in 60 s),
 * with a callback standing in for block_ip. 200 trials, each a fresh address whose
 * first 5 failures are already in; the 6th line's append is timed. Prints p50/p99.
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

const i = process.argv.indexOf('--trials');
const TRIALS = i === -1 ? 200 : Number(process.argv[i + 1]);

const dir = mkdtempSync(join(tmpdir(), 'panicmode-latency-'));
const log = join(dir, 'auth.log');
writeFileSync(log, '');
const ts = () => new Date().toISOString().replace('Z', '+00:00');
const fail = (ip: string, n: number) => `${ts()} web1 sshd[${1000 + n}]: Failed password for invalid user admin from ${ip} port ${40000 + n} ssh2\n`;

let resolveBlock: ((ip: string) => void) | null = null;
let opened!: () => void;
const ready = new Promise<void>((r) => (opened = r));
const sub = authFailures$({
  source: 'file',
  path: log,
  logger: createLogger('bench', { level: 'warn' }),
  onFollowEvent: (e: FollowEvent) => e.type === 'opened' && opened(),
})
  .pipe(detectBruteForce(defaultBruteForceRule))
  // the stand-in for the block backend
  .subscribe((incident) => resolveBlock?.(incident.metadata.ips![0]!));

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
  rmSync(dir, { recursive: true, force: true });
}
samples.sort((a, b) => a - b);
const q = (p: number) => samples[Math.min(samples.length - 1, Math.ceil((p / 100) * samples.length) - 1)]!;
console.log(`append → block callback, ${samples.length} trials: p50 ${q(50).toFixed(2)} ms, p90 ${q(90).toFixed(2)} ms, p99 ${q(99).toFixed(2)} ms, max ${samples.at(-1)!.toFixed(2)} ms`);
