/**
 * The two other host shapes, made real on this hybrid host by narrowing what the job sees:
 * - v2 only, no controllers delegated (a pure-v2 host where panicmode exec runs in a
 *   session scope): limits polled from /proc, freeze and kill through the v2 cgroup;
 * - v1 only (no v2 tree): limits in v1, freeze through freezer.state, kill by SIGKILL
 *   to each member while frozen, then thaw.
 */
import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { createFixture, hostLayout, noLimits, ourCgroups, sh, type Fixture } from './exec-fixture.js';
import { ExecExit } from '../../src/exec/exec-exit-codes.js';

describe('panicmode exec on other host shapes', { timeout: 60_000 }, () => {
  let fx: Fixture;
  afterEach(() => fx?.cleanup());
  const assertAllGone = (o: { containment: string; cgroupsLeft: string[] }) => {
    assert.equal(o.containment, 'cgroup');
    assert.deepEqual(fx.survivors(), []);
    assert.deepEqual(o.cgroupsLeft, []);
    assert.deepEqual(ourCgroups(), []);
  };

  it('v2 without controllers: a fork loop over --max-procs is polled and the tree killed through cgroup.kill', async () => {
    const layout = hostLayout();
    assert.ok(layout.v2, 'this host has a v2 tree');
    fx = createFixture(true, { cgroupLayout: () => ({ v2: layout.v2, v1: {} }) });
    const o = await fx.run({ argv: sh('for i in $(seq 20); do sleep 30 & echo $! >> "$PIDS"; done; wait'), limits: { ...noLimits, maxProcs: 5, timeoutMs: 20_000 } });
    assert.equal(o.exitCode, ExecExit.procs, JSON.stringify(o.verdict));
    assert.match(fx.incidents[0]!.description, /over the limit of 5/, 'polled, not the kernel');
    assertAllGone(o);
  });

  it('v1 only: a timeout kills the tree through the v1 freezer', async () => {
    const layout = hostLayout();
    assert.ok(layout.v1.freezer, 'this host has the v1 freezer');
    fx = createFixture(true, { cgroupLayout: () => ({ v2: null, v1: layout.v1 }) });
    const o = await fx.run({ argv: sh('for i in 1 2 3 4 5; do sleep 30 & echo $! >> "$PIDS"; done; wait'), limits: { ...noLimits, timeoutMs: 500, maxProcs: 50, memoryBytes: 256 << 20 } });
    assert.equal(o.exitCode, ExecExit.timeout);
    assert.ok(fx.pids().length >= 1);
    assert.deepEqual(fx.pids().filter((pid) => !o.killed.includes(pid)), [], `all in ${o.killed}`);
    assertAllGone(o);
  });

  it('v1 only: the memory limit through memory.limit_in_bytes, seen as an OOM kill', async () => {
    const layout = hostLayout();
    fx = createFixture(true, { cgroupLayout: () => ({ v2: null, v1: layout.v1 }) });
    const grow = `const a=[];const t=setInterval(()=>{a.push(Buffer.alloc(10<<20,1));if(a.length>=30)clearInterval(t)},20);setTimeout(()=>{},30000)`;
    const o = await fx.run({ argv: sh(`${JSON.stringify(process.execPath)} -e '${grow}'; sleep 30`), limits: { ...noLimits, memoryBytes: 64 << 20, timeoutMs: 20_000 } });
    // The node child is OOM-killed, the shell lives on into its sleep: the poll sees oom_kill.
    assert.equal(o.exitCode, ExecExit.memory, JSON.stringify(o.verdict));
    assert.match(fx.incidents[0]!.description, /OOM-killed by the kernel/);
    assertAllGone(o);
  });

  it('no cgroup mounted at all: falls back to the process group and says why', async () => {
    fx = createFixture(true, { cgroupLayout: () => ({ v2: null, v1: {} }) });
    const o = await fx.run({ argv: sh('sleep 30 & echo $! >> "$PIDS"; wait'), limits: { ...noLimits, timeoutMs: 300 } });
    assert.equal(o.containment, 'process group');
    assert.match(o.fallbackReason ?? '', /no writable cgroup that can freeze a job/);
    assert.equal(o.exitCode, ExecExit.timeout);
    assert.deepEqual(fx.survivors(), []);
  });
});
