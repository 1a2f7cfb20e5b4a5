/**
 * The kill-switch scenarios, run once with a cgroup (this host: hybrid v1 + v2) and once
 * in a process group with the limits polled from /proc (run-job-cgroup.test.ts,
 * run-job-fallback.test.ts). Every job is bounded (its own sleeps end in 30 s, every
 * test has a timeout); every process it made must be gone after, every cgroup removed.
 */
import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { createFixture, noLimits, ourCgroups, sh, type Fixture } from './exec-fixture.js';
import { ExecExit } from '../../src/exec/exec-exit-codes.js';

/** Allocates 10 MiB (touched) every 20 ms up to 300 MiB, then holds it. */
const memoryGrower = `const a=[];const t=setInterval(()=>{a.push(Buffer.alloc(10<<20,1));if(a.length>=30)clearInterval(t)},20);setTimeout(()=>{},30000)`;

export const describeExecScenarios = (useCgroup: boolean): void => {
  const mode = useCgroup ? 'cgroup' : 'process group';
  describe(`panicmode exec, ${mode}`, { timeout: 60_000 }, () => {
    let fx: Fixture;
    afterEach(() => fx?.cleanup());
    const start = () => (fx = createFixture(useCgroup));
    const assertAllGone = (o: { containment: string; cgroupsLeft: string[] }) => {
      assert.equal(o.containment, mode);
      assert.deepEqual(fx.survivors(), [], 'every process of the job is gone');
      assert.deepEqual(o.cgroupsLeft, []);
      assert.deepEqual(ourCgroups(), [], 'every cgroup removed');
    };

    it('passes the exit code of a job that ends by itself, records nothing', async () => {
      start();
      const o = await fx.run({ argv: sh('exit 7'), limits: { ...noLimits, timeoutMs: 20_000, memoryBytes: 256 << 20, maxProcs: 50 } });
      assert.equal(o.exitCode, 7);
      assert.equal(o.verdict.kind, 'exited');
      assert.deepEqual(fx.incidents, []);
      assertAllGone(o);
    });

    it('kills what the job left running when it ends', async () => {
      start();
      const o = await fx.run({ argv: sh('sleep 30 & echo $! >> "$PIDS"; exit 0') });
      assert.equal(o.exitCode, 0);
      assert.equal(fx.survivors().length, 0);
      assert.ok(o.killed.length >= 1, `the leftover sleep was killed (${o.killed})`);
      assertAllGone(o);
    });

    it('kills the whole tree at --timeout: exit 124, critical incident', async () => {
      start();
      const o = await fx.run({
        argv: sh('for i in 1 2 3; do sleep 30 & echo $! >> "$PIDS"; done; wait'),
        limits: { ...noLimits, timeoutMs: 500 },
      });
      assert.equal(o.exitCode, ExecExit.timeout);
      assert.equal(o.verdict.kind, 'breach');
      assert.equal(fx.incidents.length, 1);
      assert.equal(fx.incidents[0]!.name, 'exec_timeout');
      assert.equal(fx.incidents[0]!.severity, 'critical');
      // However far the shell got on a loaded machine, every process it made was killed.
      assert.ok(fx.pids().length >= 1);
      assert.deepEqual(fx.pids().filter((pid) => !o.killed.includes(pid)), [], `all in ${o.killed}`);
      assertAllGone(o);
    });

    it('kills a fork loop over --max-procs: exit 122', async () => {
      start();
      const o = await fx.run({
        argv: sh('for i in $(seq 20); do sleep 30 & echo $! >> "$PIDS"; done; wait'),
        limits: { ...noLimits, maxProcs: 5, timeoutMs: 20_000 },
      });
      assert.equal(o.exitCode, ExecExit.procs, JSON.stringify(o.verdict));
      assert.equal(fx.incidents[0]!.name, 'exec_procs');
      assert.match(fx.incidents[0]!.description, /process limit of 5|over the limit of 5/);
      assertAllGone(o);
    });

    it('kills a job growing past --memory 64M: exit 120, reported as the memory limit', async () => {
      start();
      const o = await fx.run({
        argv: sh(`exec ${JSON.stringify(process.execPath)} -e '${memoryGrower}'`),
        limits: { ...noLimits, memoryBytes: 64 << 20, timeoutMs: 20_000 },
      });
      assert.equal(o.exitCode, ExecExit.memory, JSON.stringify(o.verdict));
      assert.equal(fx.incidents[0]!.name, 'exec_memory');
      assert.equal(fx.incidents[0]!.metadata.threshold, 64 << 20);
      assertAllGone(o);
    });

    it(
      useCgroup
        ? 'caps a CPU burner at --cpu through the cgroup: throttled, not killed for it (the timeout ends it)'
        : 'kills a CPU burner sustained over --cpu: exit 121',
      async () => {
        start();
        const o = await fx.run({
          argv: sh('while :; do :; done'),
          limits: { ...noLimits, cpuPercent: 5, timeoutMs: useCgroup ? 2500 : 20_000 },
        });
        if (useCgroup) {
          assert.equal(o.exitCode, ExecExit.timeout, JSON.stringify(o.verdict));
        } else {
          assert.equal(o.exitCode, ExecExit.cpu, JSON.stringify(o.verdict));
          assert.equal(fx.incidents[0]!.name, 'exec_cpu');
          assert.ok(fx.incidents[0]!.metadata.currentValue > 5);
        }
        assertAllGone(o);
      },
    );
  });
};
