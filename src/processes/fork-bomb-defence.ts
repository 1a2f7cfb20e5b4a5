/**
 * The fork-bomb defence (`anomaly.fork_bomb`): from a bomb's first forks to its whole
 * tree frozen in a few hundred milliseconds, then killed.
 *
 *   every `interval` (100 ms): the host's task count, one 30-byte read of <proc>/loadavg
 *     │ riseRateExceeds(rate): rising faster than `rate`/s in two intervals running
 *     ▼ (only then, and one at a time: exhaustMap)
 *   read the process table → findForkBombs → for each bomb, fastest first:
 *     freezeTree (SIGSTOP until none runs) → grace → killTree (SIGKILL until none lives)
 *     → one critical incident saying what was done, and its action runs
 *
 * Cheap enough to run often: the full table (one file per process) is read only while
 * the host's task count keeps rising fast, not on every tick, and not on the metrics
 * stream's check interval (5 s is long enough for a bomb to fill the pid table).
 *
 * Dry run (`dry_run: true`): the bombs are found and reported, nothing is signalled.
 * With `kill: false` the tree stays frozen and is handed to `onFrozen` (the frozen
 * registry: `ctl frozen`, `ctl thaw`); with `kill: true` only members that survive the
 * kill (still frozen) are.
 */
import { defer, exhaustMap, from, map, mergeMap, Observable, timer, firstValueFrom, type SchedulerLike } from 'rxjs';
import type { Host } from '../host/host.js';
import type { ForkBombConfig } from '../config/schema.js';
import type { Logger } from '../log/logger.js';
import type { Incident } from '../model/incident.js';
import type { ActionRunRecord } from '../actions/executor.js';
import { CLK_TCK, readProcessTable, type ProcStat } from '../collectors/processes.js';
import { parseLoadavg } from '../collectors/load.js';
import { riseRateExceeds } from '../../streams/riseRateExceeds.js';
import { findForkBombs, type ForkBombTree } from './fork-bomb-trees.js';
import { freezeTree, killTree, type ResponseDeps } from './fork-bomb-response.js';

/** How far back a process start counts as a tree's growth. */
const GROWTH_WINDOW_MS = 2_000;
/** The shortest span a tree's rate is taken over (ten clock ticks). */
const MIN_SPAN_MS = 100;

export interface ForkBombDefenceDeps {
  host: Host;
  options: ForkBombConfig;
  /** find and report, signal nothing */
  dryRun: boolean;
  /** the protected-process rule (process-actions' spare); PID 1, PanicMode and its ancestors are spared whatever it says */
  spare?: (pid: number) => string | null;
  /** processes left frozen (`kill: false`, or surviving the kill), for the frozen registry */
  onFrozen?: (pids: number[], reason: string) => void;
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
}

/** Pure: seconds since boot from <proc>/uptime (`12345.67 4567.89`), or NaN. */
export const parseUptimeSeconds = (text: string): number => {
  const m = /^\s*(\d+(?:\.\d+)?)\s/.exec(text);
  return m ? Number(m[1]) : NaN;
};

/** PID 1, this process and every ancestor of it (a sidecar's runtime, the shell that started it). */
export const ownLineage = (processes: ReadonlyMap<number, ProcStat>, self: number): Map<number, string> => {
  const spared = new Map<number, string>([[1, 'PID 1']]);
  spared.set(self, 'PanicMode itself');
  for (let p = processes.get(self); p && p.ppid > 0 && !spared.has(p.ppid); p = processes.get(p.ppid)) spared.set(p.ppid, 'an ancestor of PanicMode');
  return spared;
};

const describeTree = (t: ForkBombTree) =>
  `process group ${t.pgids.slice(0, 3).join(', ')}${t.pgids.length > 3 ? ', ...' : ''} (root ${t.root.name} pid ${t.root.pid})`;

export const forkBombDefence = (deps: ForkBombDefenceDeps): ForkBombDefence => {
  const { host, options, scheduler } = deps;
  const log = deps.logger;
  const now = () => scheduler.now();
  const scan = () => (deps.scan ?? ((h: Host) => readProcessTable(h).then((t) => t.processes)))(host);
  let warned = false;
  let inFlight: Promise<unknown> = Promise.resolve();

  const taskCount = (): number => {
    try {
      return parseLoadavg(host.readProcSync('loadavg')).totalTasks;
    } catch (err) {
      if (!warned) log.warn('fork-bomb defence: the task count cannot be read; it sees nothing until it can', { error: (err as Error).message });
      warned = true;
      return NaN;
    }
  };

  const stopOne = async (tree: ForkBombTree, table: ReadonlyMap<number, ProcStat>, respond: ResponseDeps): Promise<Incident> => {
    const key = `anomaly:fork_bomb|${tree.root.pid}:${tree.root.startTicks}`;
    const what = describeTree(tree);
    const runs: ActionRunRecord[] = [];
    let done: string;
    let leftFrozen: number[] = [];
    if (deps.dryRun) {
      done = `dry run: would freeze and ${options.kill ? 'kill' : 'keep frozen'} ${tree.members.length} processes`;
      runs.push({ ts: now(), incident_key: key, action: 'freeze_tree', target: what, outcome: 'dry_run', message: done, duration_ms: 0 });
    } else {
      const f = await freezeTree(tree, table, respond);
      const frozeMsg = `${f.frozen.length} frozen in ${f.ms} ms (${f.rounds} reads)${f.complete ? '' : ', NOT all: members still running when the limits ran out'}${f.spared.length ? `; ${f.spared.length} spared (${[...new Set(f.spared.map((s) => s.reason))].join('; ')})` : ''}`;
      runs.push({ ts: now(), incident_key: key, action: 'freeze_tree', target: what, outcome: f.complete ? 'ok' : 'failed', message: frozeMsg, duration_ms: f.ms });
      done = frozeMsg;
      leftFrozen = f.frozen.map((m) => m.pid);
      if (options.kill) {
        if (options.grace > 0) await firstValueFrom(timer(options.grace, scheduler));
        const k = await killTree(f.members, respond);
        const killMsg = `${k.killed} killed in ${k.ms} ms, ${k.survivors.length} survive`;
        runs.push({ ts: now(), incident_key: key, action: 'kill_tree', target: what, outcome: k.survivors.length === 0 ? 'ok' : 'failed', message: killMsg, duration_ms: k.ms });
        done += `; ${killMsg}`;
        leftFrozen = k.survivors.map((m) => m.pid);
      }
      if (leftFrozen.length > 0) deps.onFrozen?.(leftFrozen, `fork bomb: ${what}`);
    }
    for (const run of runs) deps.record?.(run);
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
    const table = await scan();
    const uptime = parseUptimeSeconds(host.readProcSync('uptime'));
    if (!Number.isFinite(uptime)) return [];
    const ticks = (ms: number) => (ms / 1000) * CLK_TCK;
    const bombs = findForkBombs(table, {
      nowTicks: uptime * CLK_TCK,
      windowTicks: ticks(GROWTH_WINDOW_MS),
      minSpanTicks: ticks(MIN_SPAN_MS),
      ratePerSec: options.rate,
      minTreeSize: options.min_tree_size,
      ticksPerSec: CLK_TCK,
    });
    if (bombs.length === 0) return [];
    const own = ownLineage(table, host.pid);
    const spare = (pid: number) => own.get(pid) ?? deps.spare?.(pid) ?? null;
    const responseDeps: ResponseDeps = { host, scan, spare, now, pause: () => firstValueFrom(timer(0, scheduler)).then(() => undefined) };
    const incidents: Incident[] = [];
    let latest = table;
    for (const tree of bombs) {
      incidents.push(await stopOne(tree, latest, responseDeps));
      if (bombs.length > 1) latest = await scan();
    }
    return incidents;
  };

  const incidents$ = timer(options.interval, options.interval, scheduler).pipe(
    map(taskCount),
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

  return { incidents$, settled: () => inFlight.then(() => undefined) };
};
