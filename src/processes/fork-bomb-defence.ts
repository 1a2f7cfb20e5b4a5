/**
 * The fork-bomb defence (`anomaly.fork_bomb`): from a bomb's first forks to its whole
 * tree frozen in a few hundred milliseconds, then killed.
 *
 *   the host's task count, one 30-byte read of <proc>/loadavg: every `interval` (100 ms)
 *   while it climbs, every IDLE_INTERVAL_FACTOR × `interval` (170 ms) while it is quiet
 *     │ riseRateExceeds(rate): rising faster than `rate`/s in two intervals running
 *     ▼ (only then, and one at a time: exhaustMap)
 *   read the processes started within the growth window (the pids handed out since,
 *   kept from loadavg's last field) → findForkBombs → for each bomb, fastest first:
 *     freezeTree (SIGSTOP until none runs) → grace → killTree (SIGKILL until none lives)
 *     → one critical incident saying what was done, and its action runs
 *
 * Cheap enough to run often: processes are read only while the host's task count
 * keeps rising fast, not on every tick, and not on the metrics stream's check interval
 * (5 s is long enough for a bomb to fill the pid table).
 *
 * The idle cadence (pollAdaptively): on an idle agent each wake-up, not the read, is
 * the cost (~0.2 ms of CPU each on a small VM: 10 a second were most of the agent's idle
 * CPU), so a quiet host's count is read every T = 1.7 × `interval`, and every F =
 * `interval` from the first reading that rose faster than `rate`/s until the task count
 * has been quiet for the growth window. What that costs a bomb growing at G tasks/s
 * (G > rate) that starts at s, just after a quiet reading r0, in the worst case:
 *   - the reading at r0 + T saw a rise of G·(r0 + T − s): faster than `rate` unless the
 *     bomb started in the interval's last T·rate/G ms; then the one after, at r0 + 2T, does;
 *   - that reading is the first interval of the trigger's two and switches to F: the
 *     second ends F later, and the trigger fires;
 *   - so it fires at most T + T·rate/G + F after s: with the defaults (T = 170 ms,
 *     F = 100 ms, rate 200/s) and G = 2,000/s, 170 + 17 + 100 = 287 ms (at the fixed
 *     100 ms: 100 + 10 + 100 = 210 ms). T = 2F would be 340 ms, hence 1.7.
 *
 * Dry run (`dry_run: true`): the bombs are found and reported, nothing is signalled.
 * With `kill: false` the tree stays frozen and is handed to `onFrozen` (the frozen
 * registry: `ctl frozen`, `ctl thaw`); with `kill: true` only members that survive the
 * kill (still frozen) are. With a `grace`, the frozen tree is handed over at once and
 * the incident raised then; the kill comes when the grace ends, sparing the members an
 * operator thawed meanwhile (`isFrozen`), and the registry forgets the killed
 * (`onKilled`). A kill still waiting when the agent stops or reloads is not made
 * (`cancelWaitingKills`): the tree stays frozen and listed.
 */
import { defer, exhaustMap, from, mergeMap, Observable, timer, firstValueFrom, finalize, type SchedulerLike, type Subscription } from 'rxjs';
import type { Host, ProcFile } from '../host/host.js';
import type { ForkBombConfig } from '../config/schema.js';
import type { Logger } from '../log/logger.js';
import type { Incident } from '../model/incident.js';
import type { ActionRunRecord } from '../actions/executor.js';
import { CLK_TCK, parsePidStat, parsePidStatus, readProcessTable, type ProcStat } from '../collectors/processes.js';
import { parseLoadavg } from '../collectors/load.js';
import { riseRateExceeds } from '../../streams/riseRateExceeds.js';
import { pollAdaptively } from '../../streams/pollAdaptively.js';
import { breaches } from '../../streams/threshold.js';
import { findForkBombs, type BombProcess, type ForkBombTree } from './fork-bomb-trees.js';
import { freezeTree, killTree, type ResponseDeps } from './fork-bomb-response.js';
import { formatDuration } from '../config/duration.js';

/** How far back a process start counts as a tree's growth. */
const GROWTH_WINDOW_MS = 2_000;
/** The shortest span a tree's rate is taken over (ten clock ticks). */
const MIN_SPAN_MS = 100;
/** The quiet host's cadence, in `interval`s: the worst case in the file comment stays under 300 ms. */
export const IDLE_INTERVAL_FACTOR = 1.7;

export interface ForkBombDefenceDeps {
  host: Host;
  options: ForkBombConfig;
  /** find and report, signal nothing */
  dryRun: boolean;
  /**
   * The protected-process rule (actions/spare.ts) over the table a detection read;
   * PID 1, PanicMode and its ancestors are spared whatever it says.
   */
  spareIn?: (table: ReadonlyMap<number, ProcStat>) => (pid: number) => string | null;
  /** processes left frozen (`kill: false`, during a kill's `grace`, or surviving the kill), for the frozen registry */
  onFrozen?: (pids: number[], reason: string) => void;
  /** whether a pid handed to onFrozen is still frozen there (not thawed by `ctl thaw`); default: yes */
  isFrozen?: (pid: number) => boolean;
  /** pids handed to onFrozen that the kill after a grace ended: the registry forgets them */
  onKilled?: (pids: number[]) => void;
  /** each freeze and kill, for `action_runs` */
  record?: (run: ActionRunRecord) => void;
  /** reads the process table (default readProcessTable) */
  scan?: (host: Host) => Promise<ReadonlyMap<number, ProcStat>>;
  logger: Logger;
  scheduler: SchedulerLike;
}

export interface ForkBombDefence {
  /** one incident per bomb stopped (or found, in dry run) */
  incidents$: Observable<Incident>;
  /** resolves once no response is in flight (a freeze or kill goes on after unsubscribe, to its end) */
  settled(): Promise<void>;
  /** drops the kills still waiting for their grace (at stop): those trees stay frozen and listed */
  cancelWaitingKills(): void;
}

/** Pure: seconds since boot from <proc>/uptime (`12345.67 4567.89`), or NaN. */
export const parseUptimeSeconds = (text: string): number => {
  const m = /^\s*(\d+(?:\.\d+)?)\s/.exec(text);
  return m ? Number(m[1]) : NaN;
};

interface Sample {
  tasks: number;
  lastPid: number;
}

/** The last pid handed out at a reading (ms, the scheduler's clock). */
export interface PidMark {
  lastPid: number;
  at: number;
}

/** Pure: the last pid handed out, the 5th field of <proc>/loadavg (`0.1 0.2 0.3 1/99 12345`), or NaN. */
export const parseLastPid = (text: string): number => {
  const m = /\s(\d+)\s*$/.exec(text);
  return m ? Number(m[1]) : NaN;
};

/** Pure: whether `pid` was handed out after `from`, up to `to` (pids wrap at pid_max). */
export const handedOutBetween = (pid: number, from: number, to: number): boolean => (from <= to ? pid > from && pid <= to : pid > from || pid <= to);

/** PID 1, this process and every ancestor of it (a sidecar's runtime, the shell that started it). */
export const ownLineage = (lookup: (pid: number) => ProcStat | undefined, self: number): Map<number, string> => {
  const spared = new Map<number, string>([[1, 'PID 1']]);
  spared.set(self, 'PanicMode itself');
  for (let p = lookup(self); p && p.ppid > 0 && !spared.has(p.ppid); p = lookup(p.ppid)) spared.set(p.ppid, 'an ancestor of PanicMode');
  return spared;
};

/**
 * Pure: when a pid was handed out, at the earliest, from the last pids read at known
 * times (oldest first): the time of the reading before the one whose range holds it.
 * The earliest, so a tree's growth is never judged faster than it was. A pid handed out
 * after the last reading: that reading's time; one before the first: the first's.
 */
export const handedOutAt = (marks: readonly PidMark[], pid: number): number => {
  const last = marks[marks.length - 1];
  if (!last) return NaN;
  for (let i = marks.length - 1; i > 0; i--) if (handedOutBetween(pid, marks[i - 1]!.lastPid, marks[i]!.lastPid)) return marks[i - 1]!.at;
  return handedOutBetween(pid, marks[0]!.lastPid, last.lastPid) ? marks[0]!.at : last.at;
};

/**
 * The processes whose pids were handed out after `from`, up to `to`, from their status
 * files, with `startOf(pid)` for a start time. Not their stat lines: reading stat
 * waits for a process that is forking or exec'ing (the kernel takes the process's own
 * locks, held by a task that waits for the CPU among hundreds of bomb members) —
 * measured during a 2,000-process bomb on 2 cores: 300–700 stat files in 0.1–2.7 s of
 * wall time for 10–30 ms of CPU; their status files in 27–37 ms. The start times are
 * estimates (from the pids: see handedOutAt), good for judging a tree's growth, not for
 * telling a reused pid (the freeze and the kill read stat once the bomb is stopped).
 */
export const readNewStatuses = (host: Host, from: number, to: number, startOf: (pid: number) => number): Map<number, BombProcess> => {
  const out = new Map<number, BombProcess>();
  for (const entry of host.listProcSync()) {
    const c = entry.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    const pid = Number(entry);
    if (!handedOutBetween(pid, from, to)) continue;
    let facts;
    try {
      facts = parsePidStatus(host.readProcSync(pid, 'status'));
    } catch {
      continue; // exited
    }
    if (facts) out.set(pid, { ...facts, cpuTicks: NaN, startTicks: startOf(pid), startEstimated: true });
  }
  return out;
};

/** One process's stat, or undefined when it is gone. */
const readOne = (host: Host, pid: number): ProcStat | undefined => {
  try {
    return parsePidStat(host.readProcSync(pid, 'stat')) ?? undefined;
  } catch {
    return undefined;
  }
};

const describeTree = (t: ForkBombTree) =>
  `process group ${t.pgids.slice(0, 3).join(', ')}${t.pgids.length > 3 ? ', ...' : ''} (root ${t.root.name} pid ${t.root.pid})`;

export const forkBombDefence = (deps: ForkBombDefenceDeps): ForkBombDefence => {
  const { host, options, scheduler } = deps;
  const log = deps.logger;
  const now = () => scheduler.now();
  const scan = () => (deps.scan ?? ((h: Host) => readProcessTable(h).then((t) => t.processes)))(host);
  let warned = false;
  let warnedUptime = false;
  let inFlight: Promise<unknown> = Promise.resolve();
  // kills waiting for their grace to end (kill: true, grace > 0), and those under way
  const waitingKills = new Set<Subscription>();
  const killsUnderWay = new Set<Promise<void>>();

  /** The host's task count and the last pid handed out, from one read of loadavg; NaN when unreadable. */
  const sample = (loadavg: ProcFile): Sample => {
    try {
      const text = loadavg.read();
      return { tasks: parseLoadavg(text).totalTasks, lastPid: parseLastPid(text) };
    } catch (err) {
      if (!warned) log.warn('fork-bomb defence: the task count cannot be read; it sees nothing until it can', { error: (err as Error).message });
      warned = true;
      return { tasks: NaN, lastPid: NaN };
    }
  };
  // the last pids of the growth window (oldest first): the processes started since are
  // the ones to read, and when each was handed out dates them (counted in fast intervals:
  // read at the idle cadence, they reach further back, never less far)
  const history: PidMark[] = [];
  const historyLength = Math.max(2, Math.ceil(GROWTH_WINDOW_MS / options.interval) + 1);
  const remember = (s: Sample) => {
    history.push({ lastPid: s.lastPid, at: now() });
    if (history.length > historyLength) history.shift();
    return s.tasks;
  };

  const stopOne = async (tree: ForkBombTree, table: ReadonlyMap<number, BombProcess>, sincePid: number | undefined, respond: ResponseDeps): Promise<Incident> => {
    const key = `anomaly:fork_bomb|${tree.root.pid}:${Math.round(tree.root.startTicks)}`;
    const what = describeTree(tree);
    // recorded as each step ends, so a run's time is when it ended
    const recordRun = (run: Omit<ActionRunRecord, 'ts' | 'incident_key' | 'target'>) => deps.record?.({ ts: now(), incident_key: key, target: what, ...run });
    let done: string;
    let leftFrozen: number[] = [];
    const reasons = new Set<string>();
    const untouchable = tree.members.every((m) => {
      const why = respond.spare(m.pid);
      if (why !== null) reasons.add(why);
      return why !== null;
    });
    if (untouchable) {
      // nothing to freeze: no read, no signal (and the next tree is not kept waiting)
      done = `not touched: every process is protected (${[...reasons].join('; ')})`;
      recordRun({ action: 'freeze_tree', outcome: 'skipped', message: done, duration_ms: 0 });
    } else if (deps.dryRun) {
      done = `dry run: would freeze and ${options.kill ? 'kill' : 'keep frozen'} ${tree.members.length} processes`;
      recordRun({ action: 'freeze_tree', outcome: 'dry_run', message: done, duration_ms: 0 });
    } else {
      const f = await freezeTree(tree, table, respond, { sincePid });
      const frozeMsg = `${f.frozen.length} frozen ${f.complete ? `in ${f.frozenMs} ms (${f.ms} ms with the census, ${f.rounds} reads)` : `in ${f.ms} ms (${f.rounds} reads), NOT all: members still running when the limits ran out`}${f.spared.length ? `; ${f.spared.length} spared (${[...new Set(f.spared.map((s) => s.reason))].join('; ')})` : ''}`;
      recordRun({ action: 'freeze_tree', outcome: f.complete ? 'ok' : 'failed', message: frozeMsg, duration_ms: f.ms });
      done = frozeMsg;
      leftFrozen = f.frozen.map((m) => m.pid);
      const kill = async (members: Parameters<typeof killTree>[0]) => {
        const k = await killTree(members, respond);
        const killMsg = `${k.killed} killed in ${k.ms} ms, ${k.survivors.length} survive`;
        recordRun({ action: 'kill_tree', outcome: k.survivors.length === 0 ? 'ok' : 'failed', message: killMsg, duration_ms: k.ms });
        return { killMsg, survivors: k.survivors.map((m) => m.pid) };
      };
      if (options.kill && options.grace === 0) {
        const k = await kill(f.members);
        done += `; ${k.killMsg}`;
        leftFrozen = k.survivors;
      }
      if (leftFrozen.length > 0) deps.onFrozen?.(leftFrozen, `fork bomb: ${what}`);
      if (options.kill && options.grace > 0) {
        // Frozen, the bomb does no harm: the incident goes out now and the tree is listed
        // (ctl frozen) while the grace runs; what an operator thawed meanwhile is spared.
        done += `; killed in ${formatDuration(options.grace)} unless thawed (panicmode ctl thaw)`;
        const members = f.members;
        const frozenPids = leftFrozen;
        const waiting = scheduler.schedule(() => {
          waitingKills.delete(waiting);
          const killing: Promise<void> = (async () => {
            // only what an operator thawed is spared: members never listed (still running
            // when the freeze gave up) are killed all the same
            const listed = new Set(frozenPids);
            const stillFrozen = members.filter((m) => !listed.has(m.pid) || (deps.isFrozen?.(m.pid) ?? true));
            const thawed = members.length - stillFrozen.length;
            const k = await kill(stillFrozen);
            const survivors = new Set(k.survivors);
            deps.onKilled?.(stillFrozen.map((m) => m.pid).filter((pid) => listed.has(pid) && !survivors.has(pid)));
            log.error(`fork bomb: ${what}: after ${formatDuration(options.grace)} of grace, ${k.killMsg}${thawed > 0 ? `; ${thawed} thawed meanwhile, left alone` : ''}`);
          })()
            .catch((err: unknown) => log.error(`fork bomb: ${what}: the kill after the grace failed: ${(err as Error).message}`))
            .finally(() => killsUnderWay.delete(killing));
          killsUnderWay.add(killing);
        }, options.grace);
        waitingKills.add(waiting);
      }
    }
    const description = `fork bomb: ${what}, ${tree.members.length} processes, ${Math.round(tree.ratePerSec)} started/s > ${options.rate}/s: ${done}`;
    log.error(description);
    return {
      key,
      name: 'anomaly: fork bomb',
      severity: 'critical',
      description,
      actions: ['alert_critical'],
      metadata: {
        monitorType: 'anomaly:fork_bomb',
        threshold: options.rate,
        currentValue: Math.round(tree.ratePerSec),
        details: description,
        pids: tree.members.map((m) => m.pid),
      },
      ts: now(),
      status: 'firing',
      count: 1,
    };
  };

  const respond = async (): Promise<Incident[]> => {
    // the clock of the start times first; without it no process can be told young
    let uptime = NaN;
    try {
      uptime = parseUptimeSeconds(host.readProcSync('uptime'));
    } catch {
      /* NaN: warned below */
    }
    if (!Number.isFinite(uptime)) {
      if (!warnedUptime) log.warn(`fork-bomb defence: ${host.procPath('uptime')} is unreadable; bombs cannot be told from old trees`);
      warnedUptime = true;
      return [];
    }
    const readAt = now();
    // Only the processes started within the window, from their status files: while a
    // bomb runs, each read competes with its processes, old processes cannot be its
    // growth, and a stat read would wait for the members that are forking.
    const marks = [...history];
    const sincePid = marks[0]!.lastPid;
    const untilPid = marks[marks.length - 1]!.lastPid;
    const narrowed = Number.isFinite(sincePid) && Number.isFinite(untilPid);
    const startOf = (pid: number) => uptime * CLK_TCK - ((readAt - handedOutAt(marks, pid)) / 1000) * CLK_TCK;
    const table = narrowed ? readNewStatuses(host, sincePid, untilPid, startOf) : await scan();
    const ticks = (ms: number) => (ms / 1000) * CLK_TCK;
    const bombs = findForkBombs(table, {
      nowTicks: uptime * CLK_TCK,
      windowTicks: ticks(GROWTH_WINDOW_MS),
      minSpanTicks: ticks(MIN_SPAN_MS),
      ratePerSec: options.rate,
      minTreeSize: options.min_tree_size,
      ticksPerSec: CLK_TCK,
    });
    log.debug('fork-bomb defence: tasks rising fast', { read: table.size, since_pid: narrowed ? sincePid : 'all', bombs: bombs.length, read_ms: now() - readAt });
    if (bombs.length === 0) return [];
    const own = ownLineage((pid) => table.get(pid) ?? readOne(host, pid), host.pid);
    const rule = deps.spareIn?.(table);
    const spare = (pid: number) => own.get(pid) ?? rule?.(pid) ?? null;
    const responseDeps: ResponseDeps = {
      host,
      scan,
      lastPid: () => {
        try {
          return parseLastPid(host.readProcSync('loadavg'));
        } catch {
          return NaN; // the freeze then reads whole tables
        }
      },
      readSince: (a, b) => readNewStatuses(host, a, b, startOf),
      spare,
      now,
      pause: () => firstValueFrom(timer(0, scheduler)).then(() => undefined),
    };
    // Each tree's freeze starts from the same read: a later tree's members may have been
    // stopped meanwhile, which costs a redundant SIGSTOP, not another read.
    const incidents: Incident[] = [];
    // a start time from a status read is an estimate: members are known by pid alone
    // until the freeze's first stat read (milliseconds later; a pid is not reused that fast)
    const known = (t: ForkBombTree): ForkBombTree => (narrowed ? { ...t, members: t.members.map((m) => ({ pid: m.pid, startTicks: NaN })) } : t);
    for (const tree of bombs) incidents.push(await stopOne(known(tree), table, narrowed ? sincePid : undefined, responseDeps));
    return incidents;
  };

  const tooFast = breaches({ limit: options.rate });
  // loadavg stays open while the trigger runs: each reading is one pread, not open, read, close
  const taskCount$ = defer(() => {
    const loadavg = host.openProcFile('loadavg');
    return pollAdaptively(() => remember(sample(loadavg)), {
      slowMs: Math.round(options.interval * IDLE_INTERVAL_FACTOR),
      fastMs: options.interval,
      calmForMs: GROWTH_WINDOW_MS,
      // rising faster than `rate` once: the trigger's first interval (NaN, no data: quiet)
      urgent: (tasks, previous, elapsedMs) => previous !== undefined && elapsedMs > 0 && tooFast(((tasks - previous) * 1000) / elapsedMs),
      scheduler,
    }).pipe(finalize(() => loadavg.close()));
  });
  const incidents$ = taskCount$.pipe(
    riseRateExceeds(options.rate, { scheduler }),
    exhaustMap(() =>
      defer(() => {
        const p = respond();
        inFlight = p.catch(() => undefined);
        return from(p);
      }),
    ),
    mergeMap((incidents) => incidents),
  );

  return {
    incidents$,
    settled: () => Promise.all([inFlight, ...killsUnderWay]).then(() => undefined),
    cancelWaitingKills: () => {
      if (waitingKills.size > 0) log.warn(`${waitingKills.size} fork-bomb kill(s) waiting for their grace not made: those trees stay frozen (panicmode ctl frozen)`);
      for (const w of waitingKills) w.unsubscribe();
      waitingKills.clear();
    },
  };
};
