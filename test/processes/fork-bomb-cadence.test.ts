/**
 * The fork-bomb trigger's cadence, in virtual time: a quiet host's task count is read at
 * the idle cadence, and a bomb starting at any moment of that cadence still fires the
 * trigger within 300 ms (the worst case worked out in fork-bomb-defence.ts).
 *
 * The host is a fake whose <proc>/loadavg follows a scripted task count on the
 * TestScheduler's clock; the trigger's firing is seen as the response's first listing of
 * the pid directories (it finds none: nothing is signalled).
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { TestScheduler } from 'rxjs/testing';
import { forkBombDefence, IDLE_INTERVAL_FACTOR } from '../../src/processes/fork-bomb-defence.js';
import type { ForkBombConfig } from '../../src/config/schema.js';
import type { Host } from '../../src/host/host.js';
import { ms } from '../../src/config/duration.js';
import { createLogger } from '../../src/log/logger.js';

const logger = createLogger('test', { level: 'error', write: () => undefined });

const options: ForkBombConfig = { enabled: true, rate: 200, interval: ms(100), min_tree_size: 50, kill: true, grace: ms(0) };

/** A host whose task count at each virtual ms is `tasksAt(ms)`. */
const fakeHost = (ts: TestScheduler, tasksAt: (ms: number) => number) => {
  const reads: number[] = [];
  const listings: number[] = [];
  const tasks = () => tasksAt(ts.now());
  const host: Host = {
    pid: 4242,
    procPath: (...parts: (string | number)[]) => `/fake/${parts.join('/')}`,
    readProcSync: (...parts: (string | number)[]) => {
      if (parts[0] === 'loadavg') {
        reads.push(ts.now());
        const n = tasks();
        return `0.10 0.20 0.30 1/${n} ${1000 + n}\n`;
      }
      if (parts[0] === 'uptime') return `${(ts.now() / 1000 + 5000).toFixed(2)} 100.00\n`;
      throw Object.assign(new Error(`ENOENT: ${parts.join('/')}`), { code: 'ENOENT' });
    },
    openProcFile: (...parts: (string | number)[]) => ({ read: () => host.readProcSync(...parts), close: () => undefined }),
    listProcSync: () => {
      listings.push(ts.now());
      return [];
    },
  } as Partial<Host> as Host;
  return { host, reads, listings };
};

/** 150 tasks, then `perSec` more a second from `startMs` on (as long as `forMs`, then flat). */
const growing = (o: { startMs: number; perSec: number; forMs?: number }) => (now: number) =>
  150 + Math.floor((Math.max(0, Math.min(now, o.startMs + (o.forMs ?? Infinity)) - o.startMs) * o.perSec) / 1000);

/**
 * Runs the defence for `forMs` of virtual time: when its loadavg reads happened and when
 * the trigger fired (each response's listing; a response never ends within the run: its
 * promise waits for the microtasks after the flush, so later triggers are dropped by exhaustMap).
 */
const runFor = (forMs: number, tasksAt: (ms: number) => number) => {
  const ts = new TestScheduler((a, e) => assert.deepEqual(a, e));
  let out = { listings: [] as number[], reads: [] as number[] };
  ts.run(() => {
    const fake = fakeHost(ts, tasksAt);
    const sub = forkBombDefence({ host: fake.host, options, dryRun: true, logger, scheduler: ts }).incidents$.subscribe();
    ts.schedule(() => sub.unsubscribe(), forMs);
    ts.flush();
    out = { listings: fake.listings, reads: fake.reads };
  });
  return out;
};

describe('fork-bomb trigger cadence (virtual time)', () => {
  test('a quiet host is read every 1.7 intervals, not every interval', () => {
    const { reads, listings } = runFor(3_450, () => 150);
    assert.equal(Math.round(100 * IDLE_INTERVAL_FACTOR), 170);
    assert.deepEqual(reads.slice(0, 4), [170, 340, 510, 680]);
    assert.equal(reads.length, 20); // 3.45 s at 170 ms (at the fixed 100 ms: 34)
    assert.deepEqual(listings, []);
  });

  test('a bomb growing 2,000 tasks/s fires the trigger within 300 ms of its start, wherever it starts in the idle cadence', () => {
    let worst = 0;
    // every start moment within one idle interval (1 ms apart), after 2 s of quiet;
    // the quiet readings are at multiples of 170 ms: 2,040 is one
    for (let offset = 0; offset < 170; offset++) {
      const startMs = 2_040 + offset;
      const { listings } = runFor(startMs + 1_000, growing({ startMs, perSec: 2_000 }));
      assert.ok(listings.length > 0, `a bomb from ${startMs} ms fired the trigger`);
      worst = Math.max(worst, listings[0]! - startMs);
    }
    // the bound worked out in fork-bomb-defence.ts: T + T·rate/G + F = 170 + 17 + 100
    assert.ok(worst <= 287, `worst case ${worst} ms`);
    assert.ok(worst > 270, `the worst case is near the bound (${worst} ms): the sweep reached it`);
  });

  test('from the first fast rise the count is read every interval, and at the idle cadence again once quiet for the growth window', () => {
    // a burst: +2,000/s from 1,000 ms for 150 ms (300 tasks), flat after
    const { reads, listings } = runFor(4_000, growing({ startMs: 1_000, perSec: 2_000, forMs: 150 }));
    // 1,020 rose 40 in 170 ms (235/s > 200/s): every 100 ms from there; 1,120 (+200) and
    // 1,220 (+60) rose fast too; flat from then on: fast until 2 s after 1,220, then 170 apart
    assert.deepEqual(reads.slice(0, 7), [170, 340, 510, 680, 850, 1_020, 1_120]);
    const fast = reads.filter((t) => t > 1_020 && t <= 3_220);
    assert.deepEqual(fast, Array.from({ length: 22 }, (_, i) => 1_120 + i * 100));
    assert.deepEqual(reads.filter((t) => t > 3_220), [3_390, 3_560, 3_730, 3_900]);
    // two intervals running over 200/s (1,020 and 1,120): the trigger fired at 1,120
    assert.equal(listings[0], 1_120);
  });
});
