/**
 * Layer 3: one end-to-end run of the metrics stream over the real fixture snapshots
 * (host-t0, then host-t1 one second later on the host's clock), compared with a golden
 * file. Regenerate after an intended change:
 *
 *   UPDATE_GOLDEN=1 node --import tsx --test test/collectors/golden.test.ts
 *
 * `self` is left out (it measures the test process). statfs is not part of /proc: here
 * every mount answers the same fixed figures, so the golden file does not depend on
 * this machine's filesystems (the real statfs is exercised in fixture-tree.test.ts).
 * network: the second tick is within the 15 s socket-table interval, so its states come
 * from t0's table while its total and new connections/s come from t1's counters.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { filter, lastValueFrom, take, tap, toArray } from 'rxjs';
import { metricsStream } from '../../src/collectors/metrics-stream.js';
import { createCollectors } from '../../src/collectors/registry.js';
import { memoryLogger } from '../../src/log/logger.js';
import type { Metrics } from '../../src/model/metrics.js';
import { fixtureRoot, switchingHost } from './fixture-host.js';

const goldenPath = join(process.cwd(), 'test', 'fixtures', 'proc', 'golden-metrics.json');

/** Rounds floats so the golden file is stable across platforms' float printing. */
const round = (v: unknown): unknown => {
  if (typeof v === 'number') return Math.round(v * 1e6) / 1e6;
  if (Array.isArray(v)) return v.map(round);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, round(x)]));
  return v;
};

const stable = (m: Metrics) => round(m);
const GiB = 1024 ** 3;
/**
 * every collector (and the sockets part) on the snapshot's cadence, self off. The cadence
 * is real time: 400 ms leaves a loaded machine room to answer every collector's first
 * read before cpu's second one (at 100 ms the first snapshot sometimes came after it, so
 * cpu was no longer a baseline).
 */
const TICK_MS = 400;
const everyTick = { self: { enabled: false }, disk: { interval: TICK_MS }, processes: { interval: TICK_MS }, sockets: { interval: TICK_MS } };

test('golden: the metrics stream over the real t0 → t1 snapshots', async () => {
  const host = switchingHost(fixtureRoot('host-t0'));
  host.setClock(0, 1_700_000_000_000);
  host.statfs = async () => ({ totalBytes: 100 * GiB, freeBytes: 50 * GiB, availableBytes: 45 * GiB });
  const logger = memoryLogger();
  const [first, second] = await lastValueFrom(
    metricsStream(host, { intervalMs: TICK_MS, logger, collectors: createCollectors(everyTick), scheduler: host.clock }).pipe(
      tap(() => {
        host.use(fixtureRoot('host-t1'));
        host.setClock(1000, 1_700_000_001_000);
      }),
      // the second snapshot is the first one whose every field was read after the switch
      // (age 0 on the host's clock): reads run on their own timers, a snapshot holds the latest
      filter((m, i) => i === 0 || Object.values(m.ages ?? {}).every((age) => age === 0)),
      take(2),
      toArray(),
    ),
  );
  assert.deepEqual(first.degraded, {});
  assert.equal(first.cpu, null);
  assert.deepEqual(second.degraded, {}, logger.lines.join('\n'));
  assert.equal(logger.lines.filter((l) => /WARN|ERROR/.test(l)).length, 0, logger.lines.join('\n'));

  const actual = { first: stable(first), second: stable(second) };
  if (process.env.UPDATE_GOLDEN === '1' || !existsSync(goldenPath)) {
    writeFileSync(goldenPath, JSON.stringify(actual, null, 2) + '\n');
  }
  assert.deepEqual(actual, JSON.parse(readFileSync(goldenPath, 'utf8')));
});
