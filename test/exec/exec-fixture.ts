/**
 * Shared by the exec tests: runs jobs through runJob with a temp state dir, a pid file
 * every job process writes itself into (so the test can prove each one is gone from
 * /proc afterwards), incidents kept in memory, and cleanup that holds when a test fails:
 * every recorded pid SIGKILLed if still alive, every `panicmode-exec-*` cgroup this
 * process made removed, temp dirs removed.
 */
import { mkdtempSync, readFileSync, rmSync, rmdirSync, existsSync } from 'node:fs';
import { ourCgroupsOf } from './exec-cgroups.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHost, type Host } from '../../src/host/host.js';
import { parsePidStat } from '../../src/collectors/processes.js';
import type { Incident } from '../../src/model/incident.js';
import { type ExecJob, type ExecOutcome, runJob } from '../../src/exec/run-job.js';
import type { JobLimits } from '../../src/exec/job-limits.js';
import { type CgroupLayout, parseCgroupLayout } from '../../src/exec/cgroup-layout.js';

export const host = createHost();

export const noLimits: JobLimits = { timeoutMs: null, cpuPercent: null, memoryBytes: null, maxProcs: null };

export interface Fixture {
  dir: string;
  pidFile: string;
  incidents: Incident[];
  run(job: Partial<ExecJob> & { argv: string[] }): Promise<ExecOutcome>;
  /** pids the jobs wrote */
  pids(): number[];
  /** pids the jobs wrote, still alive (not zombies) */
  survivors(): number[];
  cleanup(): void;
}

const alive = (pid: number): boolean => {
  try {
    const p = parsePidStat(host.readProcSync(pid, 'stat'));
    return p !== null && p.state !== 'Z';
  } catch {
    return false;
  }
};

/** The job cgroups this test process made. */
export const ourCgroups = (): string[] => ourCgroupsOf(process.pid);

export const createFixture = (useCgroup: boolean, options: { cgroupLayout?: () => CgroupLayout; host?: Host } = {}): Fixture => {
  const dir = mkdtempSync(join(tmpdir(), 'pm-exec-'));
  const pidFile = join(dir, 'pids');
  const incidents: Incident[] = [];
  const readPids = () => (existsSync(pidFile) ? readFileSync(pidFile, 'utf8').split('\n').filter(Boolean).map(Number) : []);
  return {
    dir,
    pidFile,
    incidents,
    run: (job) =>
      runJob(
        { limits: noLimits, snapshotDir: null, useCgroup, intervalMs: 50, cpuSustainMs: 1000, ...job },
        {
          host: options.host ?? host,
          snapshotRoot: join(dir, 'state', 'exec-snapshots'),
          record: async (i) => void incidents.push(i),
          log: () => undefined,
          stdio: 'ignore',
          env: { ...process.env, PIDS: pidFile },
          cgroupLayout: options.cgroupLayout,
        },
      ),
    pids: readPids,
    survivors: () => readPids().filter(alive),
    cleanup: () => {
      for (const pid of readPids()) {
        try {
          if (alive(pid)) process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
      for (const cg of ourCgroups()) {
        try {
          rmdirSync(cg);
        } catch {
          // reported by the test that checks ourCgroups()
        }
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
};

/** A shell job that records its own pid and each child's in $PIDS. */
export const sh = (script: string): string[] => ['sh', '-c', `echo $$ >> "$PIDS"; ${script}`];

/** This host's cgroups as the job would find them. */
export const hostLayout = (): CgroupLayout => parseCgroupLayout(host.readProcSync(host.pid, 'mountinfo'), host.readProcSync(host.pid, 'cgroup'));
