/**
 * Watches a running job until the first of: it exits, its time is up, a limit is crossed,
 * or the operator interrupts. One RxJS pipeline on an injected scheduler, so the timing
 * is provable in virtual time; the decisions themselves are job-breach.ts.
 *
 *   poll    ─p──p──p──p──B          every intervalMs: cgroup events and/or a /proc sample
 *   timeout ────────────────T       at timeoutMs
 *   exit    ──────────E             the job's first process exited (checked for an OOM kill)
 *   abort   ───────────────A        SIGINT/SIGTERM to panicmode itself
 *   verdict ─────────────────B|     the first of them, then complete
 */
import { type Observable, type ObservableInput, type SchedulerLike, asyncScheduler, EMPTY, exhaustMap, filter, first, from, map, merge, scan, timer } from 'rxjs';
import { type Breach, type JobSample, type PolledLimits, initialJudgeState, judgeCgroupEvents, judgeSample } from './job-breach.js';
import type { CgroupEvents } from './job-cgroup.js';
import type { JobLimits } from './job-limits.js';
import { formatDuration } from '../config/duration.js';

export interface JobExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export type Verdict =
  | { kind: 'exited'; exit: JobExit }
  | { kind: 'breach'; breach: Breach; exit?: JobExit }
  | { kind: 'interrupted'; signal: NodeJS.Signals }
  /** the watch itself failed (the process table unreadable): the job is killed, not left unwatched */
  | { kind: 'failed'; error: string };

export interface JobProbe {
  /** the job's processes from /proc, or null when every limit is a cgroup's (a Promise in use, a value in marble tests) */
  sample(): ObservableInput<JobSample | null>;
  /** the cgroup's events, or null without a cgroup */
  events(): CgroupEvents | null;
}

export interface WatchOptions {
  /** limits the cgroup enforces (judged from its events) */
  cgroupLimits: JobLimits;
  /** limits polled from /proc */
  polledLimits: PolledLimits;
  timeoutMs: number | null;
  intervalMs: number;
  cpuSustainMs: number;
  probe: JobProbe;
  exit$: Observable<JobExit>;
  abort$?: Observable<NodeJS.Signals>;
  scheduler?: SchedulerLike;
}

export const watchJob = (o: WatchOptions): Observable<Verdict> => {
  const scheduler = o.scheduler ?? asyncScheduler;
  const fromEvents = (exitedByKill: boolean): Breach | null => {
    const events = o.probe.events();
    return events ? judgeCgroupEvents(o.cgroupLimits, events, exitedByKill) : null;
  };
  const poll$ = timer(0, o.intervalMs, scheduler).pipe(
    // A /proc read that outlasts the interval is not stacked behind itself.
    exhaustMap(() => from(o.probe.sample())),
    scan(
      (acc, sample) => {
        const kernel = fromEvents(false);
        if (kernel) return { state: acc.state, breach: kernel };
        return sample ? judgeSample(o.polledLimits, o.cpuSustainMs, acc.state, sample) : { state: acc.state, breach: null };
      },
      { state: initialJudgeState, breach: null as Breach | null },
    ),
    filter((r) => r.breach !== null),
    map((r): Verdict => ({ kind: 'breach', breach: r.breach! })),
  );
  const timeout$ =
    o.timeoutMs === null
      ? EMPTY
      : timer(o.timeoutMs, scheduler).pipe(
          map((): Verdict => ({
            kind: 'breach',
            breach: { limit: 'timeout', threshold: o.timeoutMs!, value: o.timeoutMs!, detail: `still running after the timeout of ${formatDuration(o.timeoutMs!)}` },
          })),
        );
  const exited$ = o.exit$.pipe(
    map((exit): Verdict => {
      // The OOM killer may have taken the job's first process: that is the memory limit.
      const breach = fromEvents(exit.signal === 'SIGKILL');
      return breach ? { kind: 'breach', breach, exit } : { kind: 'exited', exit };
    }),
  );
  const aborted$ = (o.abort$ ?? EMPTY).pipe(map((signal): Verdict => ({ kind: 'interrupted', signal })));
  return merge(exited$, timeout$, poll$, aborted$).pipe(first());
};
