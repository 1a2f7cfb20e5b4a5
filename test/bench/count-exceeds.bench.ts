/**
 * Why countExceeds is a hand-written state machine (streams/keyedWindowCounter.ts) and
 * not derived from RxJS built-ins: 10,000 addresses failing 6 times each within one
 * window (threshold 5, window 60 s), through
 *  - countExceeds (the state machine the agent runs), and
 *  - the same rule derived from built-ins: `groupBy` per address (a group lives while
 *    its key has events in the window: `duration` = `debounceTime(window)`) and a `scan`
 *    over each group's events.
 * Prints events/s, the heap held while the 10,000 keys are live, and the timers each
 * keeps. (The derivation also counts by arrival, not by the line's own time, which the
 * agent needs to read a log again after a crash: a further reason, not measured here.)
 *
 *   node --import tsx test/bench/count-exceeds.bench.ts [--keys N] [--runs N]
 */
import { Subject, groupBy, mergeMap, scan, filter, map, debounceTime, type OperatorFunction } from 'rxjs';
import { countExceeds } from '../../streams/countExceeds.js';

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : Number(process.argv[i + 1]);
};
const KEYS = arg('keys', 10_000);
const RUNS = arg('runs', 3);
const THRESHOLD = 5;
const WINDOW = 60_000;

interface Failure {
  ip: string;
  ts: number;
}

/** The rule from built-ins: a group per key while it has events in the window, a scan over it. */
const derived =
  (threshold: number, windowMs: number): OperatorFunction<Failure, Failure[]> =>
  (source) =>
    source.pipe(
      groupBy((f) => f.ip, { duration: (g) => g.pipe(debounceTime(windowMs)) }),
      mergeMap((g) =>
        g.pipe(
          scan(
            (acc: { events: Failure[]; fired: boolean }, f) => {
              const events = acc.fired ? [] : acc.events.filter((e) => e.ts > f.ts - windowMs);
              events.push(f);
              return { events, fired: events.length > threshold };
            },
            { events: [], fired: false },
          ),
          filter((s) => s.fired),
          map((s) => s.events),
        ),
      ),
    );

const gc = (): void => (globalThis as { gc?: () => void }).gc?.();
const heapMb = (): number => {
  gc();
  return process.memoryUsage().heapUsed / 1e6;
};

const run = (name: string, op: OperatorFunction<Failure, unknown>): { rate: number; heldMb: number; fired: number } => {
  const ips = Array.from({ length: KEYS }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
  const subject = new Subject<Failure>();
  let fired = 0;
  const before = heapMb();
  const sub = subject.pipe(op).subscribe(() => fired++);
  const t0 = performance.now();
  let ts = Date.parse('2026-11-30T00:00:00Z');
  // 5 rounds: every key at the threshold, all live (the heap is measured here) ...
  for (let round = 0; round < THRESHOLD; round++) for (const ip of ips) subject.next({ ip, ts: ts++ });
  const ms1 = performance.now() - t0;
  const heldMb = heapMb() - before;
  // ... and the 6th round: every key fires
  const t1 = performance.now();
  for (const ip of ips) subject.next({ ip, ts: ts++ });
  const ms = ms1 + performance.now() - t1;
  sub.unsubscribe();
  if (fired !== KEYS) throw new Error(`${name}: ${fired} fired, expected ${KEYS}`);
  return { rate: ((THRESHOLD + 1) * KEYS) / (ms / 1000), heldMb, fired };
};

if (!(globalThis as { gc?: unknown }).gc) console.log('(run with node --expose-gc for exact heap figures)');
const results: Record<string, { rate: number; heldMb: number }[]> = { countExceeds: [], 'groupBy+scan': [] };
for (let i = 0; i < RUNS; i++) {
  results.countExceeds!.push(run('countExceeds', countExceeds<Failure>(THRESHOLD, WINDOW, { keyOf: (f) => f.ip, timeOf: (f) => f.ts })));
  results['groupBy+scan']!.push(run('groupBy+scan', derived(THRESHOLD, WINDOW)));
}
console.log(`${KEYS.toLocaleString('en-US')} addresses × ${THRESHOLD + 1} failures in one window (threshold ${THRESHOLD}), best of ${RUNS}:`);
for (const [name, rs] of Object.entries(results)) {
  const best = Math.max(...rs.map((r) => r.rate));
  const held = Math.min(...rs.map((r) => r.heldMb));
  const timers = name === 'countExceeds' ? 'no timer' : `${KEYS.toLocaleString('en-US')} timers (one debounce per live key)`;
  console.log(`  ${name.padEnd(14)} ${Math.round(best).toLocaleString('en-US').padStart(11)} events/s, heap held with the keys live ${held.toFixed(1)} MB, ${timers}`);
}
