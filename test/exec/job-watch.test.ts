/**
 * watchJob in virtual time: which of exit, timeout, a polled breach, a kernel event or
 * an interrupt ends the watch, and that nothing is left scheduled afterwards.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { NEVER, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { watchJob, type JobProbe, type WatchOptions } from '../../src/exec/job-watch.js';
import type { JobSample } from '../../src/exec/job-breach.js';
import type { CgroupEvents } from '../../src/exec/job-cgroup.js';

const none = { timeoutMs: null, cpuPercent: null, memoryBytes: null, maxProcs: null };
const quiet: CgroupEvents = { oomKills: 0, memoryFailures: 0, forksRefused: 0 };

const newScheduler = () => new TestScheduler((a, b) => assert.deepEqual(a, b));

/** A probe whose sample at virtual time t is `at(t)`. */
const probeOf = (ts: TestScheduler, at: (t: number) => Partial<JobSample> | null, events: () => CgroupEvents | null = () => null): JobProbe => ({
  sample: () => {
    const s = at(ts.now());
    return [s === null ? null : { atMs: ts.now(), procs: 1, rssBytes: 0, cpuTicksDelta: 0, ...s }];
  },
  events,
});

const watch = (ts: TestScheduler, o: Partial<WatchOptions> & { probe: JobProbe; exit$?: Observable<never> | WatchOptions['exit$'] }) =>
  watchJob({ cgroupLimits: none, polledLimits: none, timeoutMs: null, intervalMs: 100, cpuSustainMs: 1000, exit$: NEVER, scheduler: ts, ...o } as WatchOptions);

describe('watchJob', () => {
  it('the timeout, when nothing else happens first', () => {
    const ts = newScheduler();
    ts.run(({ expectObservable }) => {
      const v$ = watch(ts, { probe: probeOf(ts, () => null), timeoutMs: 10_000 });
      expectObservable(v$).toBe('10s (v|)', {
        v: { kind: 'breach', breach: { limit: 'timeout', threshold: 10_000, value: 10_000, detail: 'still running after the timeout of 10s' } },
      });
    });
  });

  it('the exit, before the timeout', () => {
    const ts = newScheduler();
    ts.run(({ cold, expectObservable }) => {
      const v$ = watch(ts, { probe: probeOf(ts, () => null), timeoutMs: 10_000, exit$: cold('2s e', { e: { code: 3, signal: null } }) });
      expectObservable(v$).toBe('2s (v|)', { v: { kind: 'exited', exit: { code: 3, signal: null } } });
    });
  });

  it('an exit by SIGKILL with an OOM kill in the cgroup is the memory limit', () => {
    const ts = newScheduler();
    ts.run(({ cold, expectObservable }) => {
      let events = quiet;
      const exit$ = cold('500ms e', { e: { code: null, signal: 'SIGKILL' as const } });
      ts.schedule(() => (events = { ...quiet, oomKills: 1 }), 450);
      // The poll would see it at 500 ms too; the exit comes first in the same frame.
      const v$ = watch(ts, { probe: probeOf(ts, () => null, () => events), cgroupLimits: { ...none, memoryBytes: 64 << 20 }, exit$, intervalMs: 1000 });
      expectObservable(v$).toBe('500ms (v|)', {
        v: {
          kind: 'breach',
          exit: { code: null, signal: 'SIGKILL' },
          breach: { limit: 'memory', threshold: 64 << 20, value: 64 << 20, detail: "memory limit of 64.0 MiB reached in the job's cgroup: 1 process(es) OOM-killed by the kernel" },
        },
      });
    });
  });

  it('a refused fork in the cgroup, seen by the poll', () => {
    const ts = newScheduler();
    ts.run(({ expectObservable }) => {
      const v$ = watch(ts, { probe: probeOf(ts, () => null, () => (ts.now() >= 300 ? { ...quiet, forksRefused: 2 } : quiet)), cgroupLimits: { ...none, maxProcs: 5 } });
      expectObservable(v$).toBe('300ms (v|)', {
        v: { kind: 'breach', breach: { limit: 'procs', threshold: 5, value: 5, detail: "process limit of 5 reached in the job's cgroup: 2 fork(s) refused" } },
      });
    });
  });

  it('polled: RSS over --memory at the first sample above it', () => {
    const ts = newScheduler();
    ts.run(({ expectObservable }) => {
      const v$ = watch(ts, { probe: probeOf(ts, (t) => ({ rssBytes: t * 1024 ** 2 / 10 })), polledLimits: { ...none, memoryBytes: 64 * 1024 ** 2 } });
      // 640 ms → 64 MiB (not over), 700 ms → 70 MiB.
      expectObservable(v$).toBe('700ms (v|)', { v: { kind: 'breach', breach: { limit: 'memory', threshold: 64 * 1024 ** 2, value: 70 * 1024 ** 2, detail: 'resident memory 70.0 MiB over the limit of 64.0 MiB' } } });
    });
  });

  it('polled CPU: a full core held for the window is a breach; a shorter burst is not', () => {
    const ts = newScheduler();
    ts.run(({ expectObservable }) => {
      // 10 ticks per 100 ms = one core, from the second sample on.
      const busy$ = watch(ts, { probe: probeOf(ts, (t) => ({ cpuTicksDelta: t === 0 ? 0 : 10 })), polledLimits: { ...none, cpuPercent: 50 } });
      expectObservable(busy$).toBe('1s (v|)', { v: { kind: 'breach', breach: { limit: 'cpu', threshold: 50, value: 100, detail: '100% of one core over 1.0 s, over the limit of 50%' } } });
    });
    const ts2 = newScheduler();
    ts2.run(({ expectObservable }) => {
      // 900 ms at a full core, then idle: the 1 s average never exceeds 90 %... and the limit is 95 %.
      const burst$ = watch(ts2, { probe: probeOf(ts2, (t) => ({ cpuTicksDelta: t > 0 && t <= 900 ? 10 : 0 })), polledLimits: { ...none, cpuPercent: 95 }, timeoutMs: 5000 });
      expectObservable(burst$).toBe('5s (v|)', { v: { kind: 'breach', breach: { limit: 'timeout', threshold: 5000, value: 5000, detail: 'still running after the timeout of 5s' } } });
    });
  });

  it('an interrupt ends the watch', () => {
    const ts = newScheduler();
    ts.run(({ hot, expectObservable }) => {
      const v$ = watch(ts, { probe: probeOf(ts, () => null), abort$: hot('--- 1s s', { s: 'SIGINT' as const }) });
      expectObservable(v$).toBe('--- 1s (v|)', { v: { kind: 'interrupted', signal: 'SIGINT' } });
    });
  });

  it('leaves no timer behind once decided (the poll and the timeout are torn down)', { timeout: 10_000 }, () => {
    const ts = newScheduler();
    ts.run(({ cold, flush }) => {
      const ran: number[] = [];
      const probe = probeOf(ts, () => null);
      const counting: JobProbe = { sample: () => (ran.push(ts.now()), probe.sample()), events: () => null };
      let decided = false;
      watch(ts, { probe: counting, timeoutMs: 60_000, exit$: cold('250ms e', { e: { code: 0, signal: null } }) }).subscribe(() => (decided = true));
      // In run mode flush has no frame limit: a poll left running would never let it return.
      flush();
      assert.ok(decided);
      assert.deepEqual(ran, [0, 100, 200]);
      assert.equal(ts.actions.length, 0);
    });
  });
});
