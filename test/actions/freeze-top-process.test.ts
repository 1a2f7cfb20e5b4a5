/**
 * freeze_top_process on real processes: CPU burners are stopped (state T in /proc) and
 * recorded, an idle process under min_cpu is not, a protected one is skipped with its
 * reason, thaw continues them, and a recorded pid whose start time changed is never
 * signalled. The Host lists and signals only this test's children (own-children.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ownChildren, stateOf, waitUntil, cpuTicksOf } from './own-children.js';
import { testDeps, incidentOf, ctxOf } from './process-deps.js';
import { freezeTopProcessAction } from '../../src/actions/freeze-top-process.js';

const burner = (marker: string) => ['-c', `while :; do :; done # ${marker}`];

test('freeze_top_process: stops the top burners (T in /proc), not the idle one, records them; thaw continues them', { timeout: 30_000 }, async () => {
  const kids = ownChildren();
  try {
    const a = kids.spawn('/bin/sh', burner('pm-freeze-a'));
    const b = kids.spawn('/bin/sh', burner('pm-freeze-b'));
    const idle = kids.spawn('/bin/sleep', ['30']);
    await waitUntil(() => cpuTicksOf(a.pid!) > 5 && cpuTicksOf(b.pid!) > 5, 10_000, 'burners burning');
    const host = kids.host();
    const deps = testDeps(host);
    const action = freezeTopProcessAction(deps, { count: 3, minCpu: 5 });
    const out = await action.run(ctxOf(incidentOf('cpu_usage')));
    assert.equal(out.outcome, 'ok', out.summary);
    assert.match(out.summary, /froze 2 processes/);
    await waitUntil(() => stateOf(a.pid!) === 'T' && stateOf(b.pid!) === 'T', 5_000, 'both burners stopped');
    assert.notEqual(stateOf(idle.pid!), 'T', 'the idle sleeper is under min_cpu');
    assert.deepEqual(deps.frozen.list().map((f) => f.pid).sort(), [a.pid, b.pid].sort());
    assert.ok(deps.frozen.list().every((f) => f.cmdline.includes('pm-freeze-')), 'the full cmdline is recorded');

    const thawed = deps.frozen.thaw('all');
    assert.equal(thawed.thawed.length, 2);
    await waitUntil(() => stateOf(a.pid!) === 'R' || stateOf(a.pid!) === 'S', 5_000, 'burner a running again');
    assert.deepEqual(deps.frozen.list(), []);
  } finally {
    await kids.killAll();
  }
});

test('freeze_top_process: a burner named in process_whitelist, and one that is "PanicMode" itself, are spared and the skips logged', { timeout: 30_000 }, async () => {
  const kids = ownChildren();
  try {
    const listed = kids.spawn(kids.binaryNamed('precious-job', '/bin/sh'), burner('pm-wl'));
    const self = kids.spawn('/bin/sh', burner('pm-self'));
    await waitUntil(() => cpuTicksOf(listed.pid!) > 5 && cpuTicksOf(self.pid!) > 5, 10_000, 'burners burning');
    const deps = testDeps(kids.host({ pid: self.pid! }));
    const out = await freezeTopProcessAction(deps, { count: 2, whitelist: ['precious'] }).run(ctxOf(incidentOf()));
    assert.equal(out.outcome, 'skipped');
    assert.match(out.summary, /no process to freeze \(2 protected processes spared\)/);
    assert.notEqual(stateOf(listed.pid!), 'T');
    assert.notEqual(stateOf(self.pid!), 'T');
    assert.ok(deps.lines.some((l) => l.includes(`spared pid ${listed.pid} (precious-job): whitelisted (precious)`)), deps.lines.join('\n'));
    assert.ok(deps.lines.some((l) => l.includes(`spared pid ${self.pid} (sh): PanicMode itself`)), deps.lines.join('\n'));
  } finally {
    await kids.killAll();
  }
});

test('frozen registry: a recorded pid whose start time no longer matches (recycled) is dropped, never sent SIGCONT', { timeout: 30_000 }, async () => {
  const kids = ownChildren();
  try {
    const c = kids.spawn('/bin/sleep', ['30']);
    await waitUntil(() => stateOf(c.pid!) !== null, 5_000, 'child up');
    const host = kids.host();
    const deps = testDeps(host);
    process.kill(c.pid!, 'SIGSTOP');
    await waitUntil(() => stateOf(c.pid!) === 'T', 5_000, 'stopped');
    // as if the frozen process had exited and its pid gone to this one
    deps.frozen.add([{ pid: c.pid!, startTicks: 1, name: 'old', cmdline: 'old', frozenAt: 0, action: 't', reason: 't', incidentKey: 't', thawAt: null }]);
    const r = deps.frozen.thaw(c.pid!);
    assert.deepEqual(r.thawed, []);
    assert.equal(r.gone.length, 1);
    assert.deepEqual(host.signals, [], 'no signal was sent');
    assert.equal(stateOf(c.pid!), 'T', 'the other process stays as it was');
  } finally {
    await kids.killAll();
  }
});
