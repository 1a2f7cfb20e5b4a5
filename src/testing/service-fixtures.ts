/**
 * Supervised services in virtual time: a process table the supervisor reads as it reads
 * /proc (a stat line, a cmdline and an environment per pid), and a launcher that adds an
 * instance to it and takes it away when its fixture says it dies. What `panicmode test`
 * runs a config's `processes:` over (a test's `services:` input), and what the
 * supervisor's own virtual-time tests use.
 *
 * ```yaml
 * services:
 *   web: { lives: 20s }               # every instance the supervisor starts crashes 20 s later
 *   api: { up: true, lives: [1m, forever] }   # running at 0s; dies at 1m; the restart runs on
 * ```
 */
import type { Observable, SchedulerLike } from 'rxjs';
import type { Host } from '../host/host.js';
import type { Config, SupervisedProcessConfig } from '../config/schema.js';
import type { Incident } from '../model/incident.js';
import { memoryLogger } from '../log/logger.js';
import { openDatabase } from '../storage/database.js';
import { createSupervisor, type Launcher } from '../supervision/supervisor.js';
import { SERVICE_MARKER_VAR } from '../supervision/service-finder.js';

interface FixtureProcess {
  name: string;
  cmdline: string;
  /** in clock ticks (10 ms), as the stat line counts them */
  startTicks: number;
  state: string;
  pgrp?: number;
  env?: string[];
}

const enoent = () => Object.assign(new Error('ENOENT: no such process'), { code: 'ENOENT' });

/** A process table: pid → name, cmdline, start time, state; pids handed out from 1000. */
export class FixtureProcessTable {
  readonly procs = new Map<number, FixtureProcess>();
  private nextPid = 1000;

  constructor(private readonly clock: () => number) {
    this.procs.set(1, { name: 'init', cmdline: '/sbin/init', startTicks: 0, state: 'S' });
  }

  spawn(name: string, cmdline: string, more: Partial<Pick<FixtureProcess, 'pgrp' | 'env'>> = {}): number {
    const pid = this.nextPid++;
    this.procs.set(pid, { name: name.slice(0, 15), cmdline, startTicks: Math.floor(this.clock() / 10), state: 'S', ...more });
    return pid;
  }

  exit(pid: number): void {
    this.procs.delete(pid);
  }

  /** The host the supervisor reads: the table's stat, cmdline and environ files (nothing else exists). */
  readonly host = {
    procRoot: '/fixture',
    pid: 1,
    procPath: (...parts: (string | number)[]) => ['/fixture', ...parts].join('/'),
    listProcSync: (...parts: (string | number)[]) => {
      if (parts.length > 0) throw enoent();
      return [...this.procs.keys()].map(String);
    },
    readProcSync: (pid: string | number, file: string) => {
      const p = this.procs.get(Number(pid));
      if (!p) throw enoent();
      if (file === 'cmdline') return p.cmdline.split(' ').join('\0') + '\0';
      if (file === 'stat') return `${pid} (${p.name}) ${p.state} 1 ${p.pgrp ?? pid} ${pid} 0 -1 0 0 0 0 0 5 5 0 0 20 0 1 0 ${p.startTicks} 1000000 250 0`;
      if (file === 'environ') return (p.env ?? ['PATH=/usr/bin']).map((e) => `${e}\0`).join('');
      throw enoent();
    },
    readProcBytesSync: (into: Buffer, pid: string | number, file: string) => into.write(this.host.readProcSync(pid, file)),
  } as unknown as Host;
}

/** How each instance of a service lives: ms from its start, null for ever; the last repeats. */
export type Lifetimes = readonly (number | null)[];

export interface FixtureService {
  /** an instance runs at 0s, started before the supervisor (its first lifetime applies to it) */
  up?: boolean;
  /** how long each instance lives (default: for ever); 0 is gone before its start is read back */
  lives?: Lifetimes;
  /** its exit status when a lifetime ends (default 1, a crash; 0: a launcher that forked its daemon) */
  exit?: number;
}

/**
 * The process a start of `entry` runs: named as its finder looks for it (`match`, else its
 * program), its start_command as cmdline (a systemd unit's process: the unit's name).
 */
const processOf = (entry: SupervisedProcessConfig) => {
  const cmdline = entry.start_command ?? entry.systemd_unit ?? entry.name;
  const program = cmdline.split(' ')[0]!.split('/').pop()!;
  return { name: entry.match ?? program, cmdline };
};

export interface FixtureLauncher {
  launcher: Launcher;
  /** each start, in order */
  starts: { service: string; at: number }[];
  /** the pids stopped (restart_process) */
  stops: number[];
  /** the instances of the `up` services, there at 0s */
  bringUp(entries: readonly SupervisedProcessConfig[]): void;
}

/**
 * The launcher of a fixture world: a start adds the entry's process to the table and,
 * after the next of its lifetimes, takes it away with its exit status; a stop takes it
 * away at once. Services start as they are written, marked as the real launcher marks
 * them. `services` is read at each start (a test may change it between starts).
 */
export const fixtureLauncher = (table: FixtureProcessTable, scheduler: SchedulerLike, services: ReadonlyMap<string, FixtureService>): FixtureLauncher => {
  const started = new Map<string, number>(); // instances so far, per service
  const starts: { service: string; at: number }[] = [];
  const stops: number[] = [];
  const instance = (entry: SupervisedProcessConfig) => {
    const n = started.get(entry.name) ?? 0;
    started.set(entry.name, n + 1);
    const spec = services.get(entry.name);
    const lives = spec?.lives ?? [null];
    const life = lives[Math.min(n, lives.length - 1)] ?? null;
    const { name, cmdline } = processOf(entry);
    const pid = table.spawn(name, cmdline, { env: [`${SERVICE_MARKER_VAR}=${entry.name}`] });
    let clean = false;
    const end = () => {
      table.exit(pid);
      clean = (spec?.exit ?? 1) === 0;
    };
    if (life === 0) end();
    else if (life !== null) scheduler.schedule(end, life);
    return { pid, exitedCleanly: () => clean };
  };
  return {
    starts,
    stops,
    launcher: {
      start: async (entry) => {
        starts.push({ service: entry.name, at: scheduler.now() });
        const i = instance(entry);
        // systemd starts a unit itself: the supervisor finds it, it is not handed a pid
        return entry.systemd_unit ? { pid: null, exitedCleanly: () => false } : i;
      },
      stop: async (inst) => {
        stops.push(inst.pid);
        table.exit(inst.pid);
      },
    },
    bringUp: (entries) => {
      for (const e of entries) if (services.get(e.name)?.up) instance(e);
    },
  };
};

export interface FixtureSupervision {
  /** the supervisor's incidents (subscribing runs its checks on the scheduler) */
  incidents$: Observable<Incident>;
  close(): Promise<void>;
}

/**
 * The config's supervisor over a fixture table, on `scheduler`, checking every
 * `intervalMs`, its restart state in an in-memory SQLite database: the services of
 * `services` live as they say, the others run for ever once started.
 */
export const fixtureSupervision = async (
  config: Config,
  services: Readonly<Record<string, FixtureService>>,
  scheduler: SchedulerLike,
  intervalMs: number,
): Promise<FixtureSupervision> => {
  const table = new FixtureProcessTable(() => scheduler.now());
  const fixture = fixtureLauncher(table, scheduler, new Map(Object.entries(services)));
  const entries = config.processes.filter((p) => p.enabled);
  fixture.bringUp(entries);
  const opened = await openDatabase(':memory:');
  const supervisor = await createSupervisor(entries, {
    host: table.host,
    db: opened.db,
    logger: memoryLogger(),
    scheduler,
    intervalMs,
    commandTimeoutMs: config.circuit_breakers.timeout,
    dryRun: config.dry_run,
    launcher: fixture.launcher,
  });
  return {
    incidents$: supervisor.incidents$,
    close: async () => {
      await supervisor.settled();
      await opened.close();
    },
  };
};
