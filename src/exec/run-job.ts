/**
 * Runs one job under `panicmode exec`: snapshot (optional), contain (a cgroup of its
 * own, else its own process group), start, watch (job-watch.ts), stop the whole tree,
 * clean up, restore (optional), record, and say how it ended. The one place these steps
 * meet; each step is its own module.
 *
 * The job starts behind a gate: `sh` waits on fd 3 until the job's cgroups hold it, then
 * execs the command, so not one instruction of the job runs outside its limits.
 *
 * When the job's first process ends by itself, whatever it left running is killed too:
 * the job is over, and its cgroup can only be removed empty.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { type Observable, type SchedulerLike, asyncScheduler, firstValueFrom, from } from 'rxjs';
import type { Host } from '../host/host.js';
import type { Incident } from '../model/incident.js';
import { ExecError } from '../errors.js';
import type { JobLimits } from './job-limits.js';
import { type CgroupLayout, parseCgroupLayout } from './cgroup-layout.js';
import { createJobCgroup, type JobCgroup, type LimitKind } from './job-cgroup.js';
import { createJobProcSampler } from './job-proc-sampler.js';
import { killProcessGroupJob } from './job-process-group.js';
import { type JobExit, type Verdict, watchJob } from './job-watch.js';
import { type DirSnapshot, discardSnapshot, restoreSnapshot, takeSnapshot } from './dir-snapshot.js';
import { ExecExit, breachExitCode, signalExitCode } from './exec-exit-codes.js';
import { breachIncident, restoreFailedIncident } from './exec-incident.js';

export interface ExecJob {
  /** the command and its arguments */
  argv: readonly string[];
  limits: JobLimits;
  /** `--snapshot DIR` */
  snapshotDir: string | null;
  /** false: never a cgroup, the process group and /proc only (`--no-cgroup`) */
  useCgroup: boolean;
  /** ms between two looks at the job (default 100) */
  intervalMs?: number;
  /** how long CPU use must stay over --cpu to be a breach when polled (default 3000) */
  cpuSustainMs?: number;
}

export interface ExecDeps {
  host: Host;
  /** where snapshots are kept (a private directory under the state dir) */
  snapshotRoot: string;
  /** records an incident; a failure is reported, never stops the kill */
  record: (incident: Incident) => Promise<void>;
  /** one line for the operator (stderr in the CLI) */
  log: (line: string) => void;
  scheduler?: SchedulerLike;
  /** the job's stdin, stdout and stderr (default inherit: the job talks to the terminal) */
  stdio?: 'inherit' | 'ignore';
  abort$?: Observable<NodeJS.Signals>;
  env?: NodeJS.ProcessEnv;
  /**
   * Where this process's cgroups are (default: read from its mountinfo and cgroup files).
   * Tests narrow it to one host shape (v2 only, v1 only) on a host that has both.
   */
  cgroupLayout?: () => CgroupLayout;
}

export type Containment = 'cgroup' | 'process group';

export interface ExecOutcome {
  exitCode: number;
  verdict: Verdict;
  containment: Containment;
  /** why no cgroup, when the job ran in a process group */
  fallbackReason: string | null;
  /** pids killed when the tree was stopped (leftovers after a normal exit included) */
  killed: number[];
  /** ms from the verdict to the last member gone (the kill switch's speed) */
  stopMs: number;
  /** null: no restore attempted; true: restored and verified; false: failed */
  restored: boolean | null;
  /** cgroup directories that could not be removed (should be none) */
  cgroupsLeft: string[];
}

const GATE = 'read -r _ <&3 || exit 123; exec 3<&-; exec "$@"';
const KILL_BOUND_MS = 5000;

const describeLimits = (cg: JobCgroup | null, limits: JobLimits): string => {
  const kinds: LimitKind[] = [];
  if (limits.memoryBytes !== null) kinds.push('memory');
  if (limits.maxProcs !== null) kinds.push('procs');
  if (limits.cpuPercent !== null) kinds.push('cpu');
  return kinds.length === 0 ? 'no resource limits' : kinds.map((k) => `${k}: ${cg?.enforced[k] ?? 'polled from /proc'}`).join(', ');
};

export const runJob = async (job: ExecJob, deps: ExecDeps): Promise<ExecOutcome> => {
  const { host, log } = deps;
  const scheduler = deps.scheduler ?? asyncScheduler;
  const name = `panicmode-exec-${host.pid}-${randomBytes(3).toString('hex')}`;

  const snapshot: DirSnapshot | null = job.snapshotDir === null ? null : takeSnapshot(job.snapshotDir, join(deps.snapshotRoot, name));

  let cgroup: JobCgroup | null = null;
  let fallbackReason: string | null = job.useCgroup ? null : '--no-cgroup';
  if (job.useCgroup) {
    try {
      const layout = deps.cgroupLayout ? deps.cgroupLayout() : parseCgroupLayout(host.readProcSync(host.pid, 'mountinfo'), host.readProcSync(host.pid, 'cgroup'));
      cgroup = createJobCgroup(layout, job.limits, name, host);
    } catch (err) {
      fallbackReason = (err as Error).message;
      log(`no cgroup for the job (${fallbackReason}): limits enforced from /proc, the job in its own process group`);
    }
  }
  const containment: Containment = cgroup ? 'cgroup' : 'process group';
  if (cgroup) log(`job cgroup ${cgroup.dirs.join(', ')} (${describeLimits(cgroup, job.limits)})`);

  const child = spawn('/bin/sh', ['-c', GATE, 'panicmode-exec', ...job.argv], {
    detached: true,
    stdio: [deps.stdio ?? 'inherit', deps.stdio ?? 'inherit', deps.stdio ?? 'inherit', 'pipe'],
    env: deps.env ?? process.env,
  });
  const exited = new Promise<JobExit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const spawnFailed = new Promise<Error>((resolve) => child.once('error', resolve));
  const cleanupCgroup = async (): Promise<string[]> => (cgroup ? cgroup.remove() : []);

  if (child.pid === undefined) {
    const err = await spawnFailed;
    await cleanupCgroup();
    if (snapshot) discardSnapshot(snapshot);
    throw new ExecError('SPAWN', `cannot start /bin/sh for the job: ${err.message}`, { cause: err });
  }
  const pid = child.pid;
  const gate = child.stdio[3] as NodeJS.WritableStream;
  try {
    cgroup?.join(pid);
  } catch (err) {
    host.kill(-pid, 'SIGKILL');
    await exited;
    await cleanupCgroup();
    if (snapshot) discardSnapshot(snapshot);
    throw new ExecError('CGROUP', `cannot move the job into its cgroup: ${(err as Error).message}`, { cause: err });
  }
  // A job killed before it read the gate (its cgroup's OOM killer, a signal) makes the
  // write fail with EPIPE: its exit reports the outcome.
  gate.on('error', () => undefined);
  gate.end('go\n');

  const polled = {
    memoryBytes: cgroup?.enforced.memory ? null : job.limits.memoryBytes,
    maxProcs: cgroup?.enforced.procs ? null : job.limits.maxProcs,
    cpuPercent: cgroup?.enforced.cpu ? null : job.limits.cpuPercent,
  };
  const needsProc = polled.memoryBytes !== null || polled.maxProcs !== null || polled.cpuPercent !== null || cgroup === null;
  const sampler = createJobProcSampler(host, pid);
  const verdict: Verdict = await firstValueFrom(
    watchJob({
      cgroupLimits: {
        ...job.limits,
        memoryBytes: cgroup?.enforced.memory ? job.limits.memoryBytes : null,
        maxProcs: cgroup?.enforced.procs ? job.limits.maxProcs : null,
      },
      polledLimits: polled,
      timeoutMs: job.limits.timeoutMs,
      intervalMs: job.intervalMs ?? 100,
      cpuSustainMs: job.cpuSustainMs ?? 3000,
      probe: {
        sample: () => (needsProc ? sampler.sample() : Promise.resolve(null)),
        events: () => cgroup?.events() ?? null,
      },
      exit$: from(exited),
      abort$: deps.abort$,
      scheduler,
    }),
  ).catch((err: unknown): Verdict => ({ kind: 'failed', error: (err as Error)?.message ?? String(err) }));

  // Stop the whole tree: at a breach, or what the job left behind after it ended.
  const t0 = host.monotonicMs();
  const groupIsOurs = () => child.exitCode === null && child.signalCode === null;
  let killed: number[];
  try {
    killed = cgroup ? await cgroup.killAll(KILL_BOUND_MS) : await killProcessGroupJob(host, pid, sampler.members(), KILL_BOUND_MS, groupIsOurs);
  } catch (err) {
    // A cgroup file that cannot be written now (removed under us): the process group still can.
    log(`killing through the cgroup failed (${(err as Error).message}): killing the process group`);
    killed = await killProcessGroupJob(host, pid, sampler.members(), KILL_BOUND_MS, groupIsOurs);
  }
  const exit = await exited;
  const stopMs = host.monotonicMs() - t0;
  const cgroupsLeft = await cleanupCgroup();
  if (cgroupsLeft.length > 0) log(`could not remove the job's cgroup(s) ${cgroupsLeft.join(', ')}`);

  const now = () => scheduler.now();
  const record = async (incident: Incident) => {
    try {
      await deps.record(incident);
    } catch (err) {
      log(`could not record the incident "${incident.description}": ${(err as Error).message}`);
    }
  };
  let exitCode: number;
  if (verdict.kind === 'breach') {
    log(`killed: ${verdict.breach.detail}`);
    await record(breachIncident(job.argv, verdict.breach, killed.length, containment, now()));
    exitCode = breachExitCode(verdict.breach);
  } else if (verdict.kind === 'failed') {
    log(`could not watch the job (${verdict.error}), so it was killed [PANICMODE_ERR_EXEC_WATCH]`);
    exitCode = ExecExit.internal;
  } else if (verdict.kind === 'interrupted') {
    exitCode = signalExitCode(verdict.signal, constants.signals);
  } else {
    exitCode = exit.code ?? signalExitCode(exit.signal!, constants.signals);
  }

  let restored: boolean | null = null;
  if (snapshot) {
    if (exitCode === 0) discardSnapshot(snapshot);
    else {
      try {
        restoreSnapshot(snapshot);
        restored = true;
        discardSnapshot(snapshot);
        log(`restored ${snapshot.dir} from its snapshot (verified by SHA-256)`);
      } catch (err) {
        restored = false;
        const msg = err instanceof ExecError ? err.message : String(err);
        log(`${msg} [${err instanceof ExecError ? err.code : 'PANICMODE_ERR_EXEC_RESTORE'}]; snapshot kept at ${snapshot.home}`);
        await record(restoreFailedIncident(job.argv, snapshot.dir, msg, snapshot.home, now()));
        exitCode = ExecExit.restoreFailed;
      }
    }
  }
  return { exitCode, verdict, containment, fallbackReason, killed, stopMs, restored, cgroupsLeft };
};
