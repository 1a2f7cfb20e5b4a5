/**
 * rate_limit on an IP source, measured with real TCP connects inside a network namespace
 * the bench makes and deletes: a limited source connecting at several rates for a few
 * seconds, against the configured limit; how many connections got through per second,
 * beside an unlimited source at the same pace. nft lets a burst of 5 through first, then
 * the rate.
 *
 *   node --import tsx test/bench/connection-limit.bench.ts [--rate 10/s] [--seconds 4]
 */
import { fileURLToPath } from 'node:url';
import { createRateLimiter } from '../../src/firewall/rate-limiter.js';
import { parseConnectionRate, formatRate } from '../../src/firewall/connection-rate.js';
import { createNeverBlock } from '../../src/firewall/never-block.js';
import { memoryLogger } from '../../src/log/logger.js';
import { createNetns, netnsUnavailable } from '../firewall/netns.js';

const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : process.argv[i + 1]!;
};
const RATE = parseConnectionRate(arg('rate', '10/s'));
const SECONDS = Number(arg('seconds', '4'));
const why = netnsUnavailable();
if (why) {
  console.log(`connection limit bench skipped: ${why}`);
  process.exit(0);
}
const burst = fileURLToPath(new URL('../firewall/connect-burst.ts', import.meta.url));
const ns = createNetns();
try {
  ns.exec('ip', ['link', 'set', 'lo', 'up']);
  for (const a of ['203.0.113.1', '203.0.113.7', '198.51.100.9']) ns.exec('ip', ['addr', 'add', `${a}/32`, 'dev', 'lo']);
  const limiter = createRateLimiter({ run: ns.nft, rates: [RATE], neverBlock: createNeverBlock({ whitelist: [], ownAddresses: () => [] }), ipv6Prefix: 64, logger: memoryLogger() });
  await limiter.start();
  await limiter.limit(['203.0.113.7'], { rate: RATE, durationMs: 600_000, reason: 'bench' });
  console.log(`limit ${formatRate(RATE)} on 203.0.113.7; each pace for ${SECONDS} s; a connect not accepted within 800 ms counts as dropped`);
  for (const pace of [5, 20, 50, 100]) {
    const count = pace * SECONDS;
    const plan = {
      server: '203.0.113.1',
      timeoutMs: 800,
      sources: [
        { address: '203.0.113.7', count, spacingMs: 1000 / pace },
        { address: '198.51.100.9', count, spacingMs: 1000 / pace },
      ],
    };
    const r = JSON.parse(ns.exec(process.execPath, ['--import', 'tsx', burst, JSON.stringify(plan)])) as Record<string, { ok: number; failed: number }>;
    const lim = r['203.0.113.7']!;
    const free = r['198.51.100.9']!;
    console.log(
      `pace ${String(pace).padStart(3)}/s: limited source ${String(lim.ok).padStart(3)} of ${count} through (${(lim.ok / SECONDS).toFixed(1)}/s), ` +
        `unlimited source ${free.ok} of ${count}`,
    );
  }
} finally {
  ns.remove();
}
