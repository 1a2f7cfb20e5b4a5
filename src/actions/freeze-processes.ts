/**
 * The freeze step every freezing action shares: SIGSTOP each chosen process, record the
 * stopped ones in the frozen registry (memory, at once), tell the victim ledger (hooks),
 * log every skip, and say it in one phrase for the alert. What is chosen is decided
 * elsewhere (choose-victims.ts, mass-freeze-selection.ts).
 */
import type { ActionContext, ActionOutcome } from './action.js';
import type { Host } from '../host/host.js';
import type { Logger } from '../log/logger.js';
import type { FrozenRegistry } from './frozen-registry.js';
import type { Skip, Victim } from './choose-victims.js';
import type { ProcessView } from './process-view.js';
import type { VictimLedger } from './victim-ledger.js';
import { ActionError } from '../errors.js';

export interface ProcessActionDeps {
  host: Host;
  logger: Logger;
  frozen: FrozenRegistry;
  victims: VictimLedger;
  /** uid → user name */
  userName: (uid: number) => string;
  /** the pipeline's clock (timestamps, the CPU sample's pause, kill grace) */
  now: () => number;
  wait: (ms: number) => Promise<void>;
}

const describe = (v: Victim) => `${v.pid} (${v.name}${v.cpuPercent > 0 ? `, ${Math.round(v.cpuPercent)}% CPU` : ''})`;

/** `froze 2 processes: 4242 (node, 99% CPU), 4243 (sh)`; lists are cut after 5. */
export const listVictims = (verb: string, vs: readonly Victim[]): string =>
  `${verb} ${vs.length === 1 ? 'pid' : `${vs.length} processes:`} ${vs.slice(0, 5).map(describe).join(', ')}${vs.length > 5 ? ` and ${vs.length - 5} more` : ''}`;

export const logSkips = (logger: Logger, action: string, skipped: readonly Skip[]): void => {
  for (const s of skipped) logger.info(`${action}: spared pid ${s.pid} (${s.name}): ${s.reason}`);
};

export interface FreezeOptions {
  action: string;
  /** thaw_after in ms (absent: frozen until `ctl thaw`) */
  thawAfterMs?: number;
  /** the policy's dry_run, on top of the agent's */
  dryRun?: boolean;
  /** at most this many (the policy's max_processes_to_freeze); the rest are logged */
  max?: number;
  /** stop sending SIGSTOP after this long (the policy's freeze_timeout) */
  timeoutMs?: number;
}

export const freezeVictims = (deps: ProcessActionDeps, view: ProcessView, ctx: ActionContext, chosen: { victims: Victim[]; skipped: Skip[] }, o: FreezeOptions): ActionOutcome => {
  logSkips(deps.logger, o.action, chosen.skipped);
  let victims = chosen.victims;
  if (o.max !== undefined && victims.length > o.max) {
    deps.logger.warn(`${o.action}: ${victims.length} processes selected, freezing the first ${o.max} (max_processes_to_freeze)`);
    victims = victims.slice(0, o.max);
  }
  if (victims.length === 0) {
    const why = chosen.skipped.length > 0 ? ` (${chosen.skipped.length} protected process${chosen.skipped.length === 1 ? '' : 'es'} spared)` : '';
    return { outcome: 'skipped', summary: `no process to freeze${why}` };
  }
  const target = victims.map((v) => v.pid).join(' ');
  if (ctx.dryRun || o.dryRun) return { outcome: 'dry_run', summary: listVictims('would freeze', victims), target };
  const frozen: Victim[] = [];
  const failed: string[] = [];
  const deadline = o.timeoutMs === undefined ? Infinity : deps.now() + o.timeoutMs;
  for (const v of victims) {
    if (deps.now() > deadline || ctx.signal.aborted) {
      failed.push(`${victims.length - frozen.length - failed.length} not frozen: freeze_timeout passed`);
      break;
    }
    try {
      deps.host.kill(v.pid, 'SIGSTOP');
      frozen.push(v);
    } catch (err) {
      // ESRCH: it exited between the read and the signal: nothing left to stop.
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') failed.push(`${v.pid}: ${(err as Error).message}`);
    }
  }
  const at = deps.now();
  deps.frozen.add(
    frozen.map((v) => ({
      pid: v.pid, startTicks: v.startTicks, name: v.name, cmdline: v.cmdline, frozenAt: at, action: o.action,
      reason: ctx.incident.name, incidentKey: ctx.incident.key, thawAt: o.thawAfterMs === undefined ? null : at + o.thawAfterMs,
    })),
  );
  deps.victims.note(ctx.incident, frozen.map((v) => ({ pid: v.pid, name: v.name, cmdline: v.cmdline, user: deps.userName(view.uid(v.pid)) })));
  if (frozen.length === 0 && failed.length > 0) throw new ActionError(o.action, `could not freeze: ${failed.join('; ')}`);
  const summary = frozen.length > 0 ? listVictims('froze', frozen) : 'no process to freeze (the chosen ones exited)';
  return { outcome: frozen.length > 0 ? 'ok' : 'skipped', summary: failed.length > 0 ? `${summary}; failed ${failed.join('; ')}` : summary, target: frozen.map((v) => v.pid).join(' ') || undefined };
};
