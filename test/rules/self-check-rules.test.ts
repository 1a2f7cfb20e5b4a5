/**
 * The self-check rules over injected snapshots: PanicMode's own memory (with the Node
 * floor under a Rust-era limit), RSS growth over the start-up footprint, open files near
 * the limit, and a collector that keeps timing out — each an incident saying what is
 * wrong and what to do, with the severity the operator's channels route on.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Subject } from 'rxjs';
import { compileRule } from '../../src/rules/compile-rule.js';
import { NODE_RSS_FLOOR_MB, selfCheckNotes, selfCheckRules, type SelfCheckOptions } from '../../src/rules/self-check-rules.js';
import { emptyMetrics, type Metrics, type SelfSample } from '../../src/model/metrics.js';
import type { Incident } from '../../src/model/incident.js';

const MB = 1048576;
const rustEra: SelfCheckOptions = { cpu_limit: 5, memory_limit_mb: 50, check_interval: 5000 };

const self = (over: Partial<SelfSample> = {}): SelfSample => ({
  cpuPercent: 0.2,
  rssBytes: 70 * MB,
  rssBaselineBytes: 62 * MB,
  openFds: 24,
  fdLimit: 1024,
  eventLoopLagMs: 3,
  ...over,
});

/** Runs every self-check rule over snapshots every `stepMs`; returns what fired. */
const run = (options: SelfCheckOptions, ticks: number, stepMs: number, at: (i: number) => Partial<Metrics>): Incident[] => {
  const out: Incident[] = [];
  const snapshots = new Subject<Metrics>();
  for (const spec of selfCheckRules(options)) snapshots.pipe(compileRule(spec)).subscribe((x) => out.push(x));
  for (let i = 0; i < ticks; i++) snapshots.next({ ...emptyMetrics(i * stepMs), ...at(i) });
  snapshots.complete();
  return out;
};

test('a Rust-era memory_limit_mb of 50 does not page on a quiet Node.js agent idling at 70 MB', () => {
  // Five minutes of a quiet agent at the compat config's settings.
  const fired = run(rustEra, 60, 5000, () => ({ self: self() }));
  assert.deepEqual(fired.map((i) => i.name), []);
  assert.match(selfCheckNotes(rustEra).join('\n'), new RegExp(`memory_limit_mb: 50 MB is below the ${NODE_RSS_FLOOR_MB} MB`));
  assert.deepEqual(selfCheckNotes({ memory_limit_mb: 120 }), []);
});

test('memory over the floored limit is still critical', () => {
  const fired = run(rustEra, 5, 5000, () => ({ self: self({ rssBytes: (NODE_RSS_FLOOR_MB + 10) * MB, rssBaselineBytes: (NODE_RSS_FLOOR_MB + 10) * MB }) }));
  const mem = fired.filter((i) => i.metadata.monitorType === 'self_check:memory');
  assert.ok(mem.length > 0);
  assert.equal(mem[0]!.severity, 'critical');
  assert.match(mem[0]!.description, /106 MB RSS > limit 96 MB/);
  // A configured limit above the floor is taken as written.
  assert.deepEqual(run({ ...rustEra, memory_limit_mb: 200 }, 5, 5000, () => ({ self: self({ rssBytes: 150 * MB, rssBaselineBytes: 150 * MB }) })), []);
});

test('RSS grown over the start-up footprint and held for 10 minutes is a warning with both figures', () => {
  const options = { ...rustEra, memory_limit_mb: 512 };
  const grown = self({ rssBaselineBytes: 60 * MB, rssBytes: 100 * MB });
  // Nine minutes of growth: a burst of work, not yet a leak.
  assert.deepEqual(run(options, 9 * 12, 5000, () => ({ self: grown })), []);
  const fired = run(options, 10 * 12 + 1, 5000, () => ({ self: grown }));
  assert.equal(fired.length, 1);
  const [g] = fired;
  assert.equal(g!.metadata.monitorType, 'self_check:memory_growth');
  assert.equal(g!.severity, 'warning');
  assert.deepEqual(g!.actions, ['alert_warning']);
  assert.match(g!.description, /grown 40 MB over its start-up footprint/);
  assert.equal(g!.metadata.details, 'start-up 60 MB, now 100 MB');
  // Growth under the allowance never fires.
  assert.deepEqual(run(options, 200, 5000, () => ({ self: self({ rssBaselineBytes: 60 * MB, rssBytes: 90 * MB }) })), []);
});

test('open descriptors near the limit are critical at once; unknown or unlimited limits are not judged', () => {
  const fired = run(rustEra, 1, 5000, () => ({ self: self({ openFds: 900, fdLimit: 1024 }) }));
  assert.equal(fired.length, 1);
  assert.equal(fired[0]!.metadata.monitorType, 'self_check:open_fds');
  assert.equal(fired[0]!.severity, 'critical');
  assert.match(fired[0]!.description, /88% of its open-file limit.*LimitNOFILE=/);
  assert.equal(fired[0]!.metadata.details, '900 of 1024 descriptors open');
  assert.deepEqual(run(rustEra, 3, 5000, () => ({ self: self({ openFds: 800, fdLimit: 1024 }) })), []);
  assert.deepEqual(run(rustEra, 3, 5000, () => ({ self: self({ openFds: 900, fdLimit: -1 }) })), []);
  assert.deepEqual(run(rustEra, 3, 5000, () => ({ self: self({ openFds: -1, fdLimit: 1024 }) })), []);
  assert.deepEqual(run(rustEra, 3, 5000, () => ({ self: self({ openFds: 900, fdLimit: Infinity }) })), []);
});

test('a collector that times out 3 ticks in a row is a warning naming it; a blip or "no data" is not', () => {
  const timeout = 'timeout: no result within 2000 ms';
  // A hung read stays `timeout` on every tick (the stream keeps the reason until it answers).
  const stuck = (_i: number) => ({ self: self(), degraded: { disk: timeout, diskIo: 'no data: /proc/diskstats is missing' } });
  assert.deepEqual(run(rustEra, 2, 5000, stuck), [], 'two ticks are not yet "keeps timing out"');
  const fired = run(rustEra, 3, 5000, stuck);
  assert.deepEqual(fired.map((i) => `${i.metadata.monitorType} ${i.severity} ${i.status}`), ['self_check:collector warning firing']);
  assert.match(fired[0]!.description, /collector "disk" has not answered within its timeout for 3 ticks in a row/);
  assert.deepEqual(fired[0]!.actions, ['alert_warning']);
  // It recovers: resolved once the collector answers again.
  const recovered = run(rustEra, 4, 5000, (i) => (i < 3 ? stuck(i) : { self: self() }));
  assert.deepEqual(recovered.map((i) => i.status), ['firing', 'resolved']);
  // Alternating blips never hold long enough.
  assert.deepEqual(run(rustEra, 20, 5000, (i) => (i % 2 ? { degraded: { disk: timeout } } : {})), []);
});

test('at a short check interval, a collector must be stuck 10 s, not 3 quick ticks', () => {
  const fast = { ...rustEra, check_interval: 200 };
  const stuck = () => ({ degraded: { disk: 'timeout: no result within 160 ms' } });
  assert.deepEqual(run(fast, 50, 200, stuck), [], '10 s minus one tick');
  assert.equal(run(fast, 51, 200, stuck).length, 1);
});
