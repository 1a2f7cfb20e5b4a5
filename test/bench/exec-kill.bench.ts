/**
 * The kill switch's speed: from a breach (the verdict) to the whole tree gone, for a job
 * in a cgroup (this host: v2 freeze + cgroup.kill, v1 limits) and for one in a process
 * group (SIGSTOP sweep, then SIGKILL, checked in /proc). Each job is a tree of N sleeping
 * processes stopped at a --timeout breach; and a --max-procs breach by a fork loop, timed
 * from the job's start (detection + kill). Prints medians and maxima; no assertion.
 *
 *   node --import tsx test/bench/exec-kill.bench.ts
 *   PANICMODE_EXEC_BENCH_ROUNDS=5 (default) · PANICMODE_EXEC_BENCH_TREE=100 (processes per tree)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHost } from '../../src/host/host.js';
import { runJob, type ExecJob } from '../../src/exec/run-job.js';

const rounds = Number(process.env.PANICMODE_EXEC_BENCH_ROUNDS ?? 5);
const tree = Number(process.env.PANICMODE_EXEC_BENCH_TREE ?? 100);
const host = createHost();
const dir = mkdtempSync(join(tmpdir(), 'pm-exec-bench-'));
const none = { timeoutMs: null, cpuPercent: null, memoryBytes: null, maxProcs: null };

const stats = (xs: number[]) => {
  const s = xs.slice().sort((a, b) => a - b);
  return `median ${s[Math.floor(s.length / 2)]!.toFixed(1)} ms, max ${s[s.length - 1]!.toFixed(1)} ms`;
};

const once = async (useCgroup: boolean, job: Omit<ExecJob, 'useCgroup' | 'snapshotDir'>) => {
  const t0 = host.monotonicMs();
  const o = await runJob({ ...job, useCgroup, snapshotDir: null }, { host, snapshotRoot: dir, record: async () => undefined, log: () => undefined, stdio: 'ignore' });
  if (o.verdict.kind !== 'breach') throw new Error(`expected a breach, got ${JSON.stringify(o.verdict)}`);
  return { total: host.monotonicMs() - t0, stop: o.stopMs, killed: o.killed.length, containment: o.containment };
};

try {
  for (const useCgroup of [true, false]) {
    const stops: number[] = [];
    const forkTotals: number[] = [];
    let killed = 0;
    let containment = '';
    for (let i = 0; i < rounds; i++) {
      const r = await once(useCgroup, { argv: ['sh', '-c', `for i in $(seq ${tree - 1}); do sleep 60 & done; wait`], limits: { ...none, timeoutMs: 1500 } });
      stops.push(r.stop);
      killed = r.killed;
      containment = r.containment;
      const f = await once(useCgroup, { argv: ['sh', '-c', 'for i in $(seq 200); do sleep 60 & done; wait'], limits: { ...none, maxProcs: 20, timeoutMs: 20_000 } });
      forkTotals.push(f.total);
    }
    console.log(`${containment}: breach → tree of ${killed} processes gone: ${stats(stops)} (${rounds} rounds)`);
    console.log(`${containment}: fork loop over --max-procs 20, job start → tree gone: ${stats(forkTotals)}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
