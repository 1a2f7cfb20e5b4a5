/**
 * `kill_process`: SIGTERM the chosen process (choose-victims.ts, like freeze), wait up
 * to `grace` for it to exit, then SIGKILL whatever is left. With `scope`:
 *
 *  - `process` (default): that process only;
 *  - `group`: its whole process group (earlyoom's -g: a shell pipeline, a make -j, a
 *    worker pool dies together instead of respawning from a parent that survived);
 *  - `cgroup`: every process of its cgroup (v2 or v1, found at run time): a service
 *    with all its children; on v2 the final SIGKILL goes through `cgroup.kill`, which
 *    also catches what forked meanwhile.
 *
 * A protected process (spare.ts) inside the group or cgroup is never signalled: the
 * others are then signalled one by one, and each spared one is logged. A cgroup that is
 * the root of its hierarchy is never killed as a whole (that is the host): the action
 * falls back to the process. Gone = exited or a zombie (dead, waiting for its parent)
 * or its pid now names another process (start time).
 *
 * A victim that is stopped (frozen earlier) is continued right after SIGTERM, so it can
 * handle it within the grace.
 *
 * After the kill, the `on_kill` hook (a program, never a shell) runs once per victim
 * with the PANIC_* variables of the incident and the victim (run-script.ts).
 */
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Action, ActionContext, ActionOutcome } from './action.js';
import type { Victim } from './choose-victims.js';
import { chooseTopVictims, type TopVictimsOptions } from './top-victims.js';
import type { ProcessView } from './process-view.js';
import type { Spare } from './spare.js';
import { listVictims, logSkips, type ProcessActionDeps } from './freeze-processes.js';
import { victimCgroup } from './victim-cgroup.js';
import { processGroupMembers } from '../exec/process-group-members.js';
import { parsePidStat } from '../collectors/processes.js';
import { incidentEnv } from './run-script.js';
import { ActionError } from '../errors.js';

export type KillScope = 'process' | 'group' | 'cgroup';

/** Who (as freeze_top_process chooses), then how: grace, scope, the on_kill hook. */
export interface KillOptions extends TopVictimsOptions {
  name?: string;
  /** ms between SIGTERM and SIGKILL (default 5 s) */
  graceMs?: number;
  scope?: KillScope;
  /** program run once per victim after the kill */
  onKill?: string;
  /** the on_kill program's time limit */
  hookTimeoutMs?: number;
}

export const DEFAULT_KILL_GRACE_MS = 5_000;
const POLL_MS = 50;

/** One process as signalled: pid and start time, so a recycled pid is never hit. */
interface Member {
  pid: number;
  startTicks: number;
}

/** How one victim's scope is signalled. */
interface Plan {
  victim: Victim;
  members: Member[];
  /** signals the whole scope at once (kill(-pgrp) / cgroup.kill), when nothing in it is spared */
  whole?: (signal: 'SIGTERM' | 'SIGKILL') => void;
  note?: string;
}

export const killProcessAction = (deps: ProcessActionDeps, o: KillOptions = {}): Action => {
  const name = o.name ?? 'kill_process';
  const scope = o.scope ?? 'process';
  const graceMs = o.graceMs ?? DEFAULT_KILL_GRACE_MS;

  const alive = (m: Member): boolean => {
    try {
      const s = parsePidStat(deps.host.readProcSync(m.pid, 'stat'));
      return s !== null && s.startTicks === m.startTicks && s.state !== 'Z' && s.state !== 'X';
    } catch {
      return false;
    }
  };
  const stopped = (m: Member): boolean => {
    try {
      return parsePidStat(deps.host.readProcSync(m.pid, 'stat'))?.state === 'T';
    } catch {
      return false;
    }
  };
  const sendCont = (m: Member) => {
    try {
      deps.host.kill(m.pid, 'SIGCONT');
    } catch {
      // exited in between
    }
  };
  const signal = (m: Member, sig: 'SIGTERM' | 'SIGKILL') => {
    if (!alive(m)) return;
    try {
      deps.host.kill(m.pid, sig);
    } catch {
      // exited in between
    }
  };

  const plan = (view: ProcessView, spare: Spare, v: Victim): Plan => {
    const self: Plan = { victim: v, members: [{ pid: v.pid, startTicks: v.startTicks }] };
    const membersOf = (pids: number[]) => pids.flatMap((pid) => {
      const p = view.table.get(pid);
      return p ? [{ pid, startTicks: p.startTicks }] : [];
    });
    const withSpares = (pids: number[], whole: Plan['whole'], what: string): Plan => {
      const checks = pids.map((pid) => ({ pid, reason: spare(pid) }));
      const protectedOnes = checks.filter((c) => c.reason !== null);
      for (const c of protectedOnes) deps.logger.info(`${name}: spared pid ${c.pid} (${view.table.get(c.pid)?.name ?? '?'}) in ${what} of ${v.pid}: ${c.reason}`);
      const members = membersOf(checks.filter((c) => c.reason === null).map((c) => c.pid));
      return { victim: v, members, whole: protectedOnes.length === 0 ? whole : undefined, note: `${what} (${members.length} process${members.length === 1 ? '' : 'es'})` };
    };
    if (scope === 'group') {
      const pgrp = view.pgrp(v.pid);
      if (pgrp <= 1) return self;
      const pids = processGroupMembers(deps.host, view.table.keys(), pgrp);
      return withSpares(pids, (sig) => deps.host.kill(-pgrp, sig), `process group ${pgrp}`);
    }
    if (scope === 'cgroup') {
      const text = view.cgroupText(v.pid);
      let mountinfo: string | null = null;
      try {
        mountinfo = deps.host.readProcSync(deps.host.pid, 'mountinfo');
      } catch {
        // a proc root without our own entry (a fixture): no cgroup to find
      }
      const cg = text === null || mountinfo === null ? null : victimCgroup(mountinfo, text);
      if (!cg) {
        deps.logger.info(`${name}: pid ${v.pid} is in the root cgroup: killing the process only`);
        return self;
      }
      let pids: number[];
      try {
        pids = readFileSync(join(cg.dir, 'cgroup.procs'), 'utf8').split('\n').filter((l) => l !== '').map(Number);
      } catch (err) {
        deps.logger.warn(`${name}: cannot read ${cg.dir}/cgroup.procs: killing the process only`, { error: (err as Error).message });
        return self;
      }
      const killFile = join(cg.dir, 'cgroup.kill');
      const whole = cg.version === 2 && existsSync(killFile) ? (sig: 'SIGTERM' | 'SIGKILL') => {
        if (sig === 'SIGKILL') writeFileSync(killFile, '1');
        else for (const m of membersOf(pids)) signal(m, sig);
      } : undefined;
      return withSpares(pids, whole, `cgroup ${cg.path}`);
    }
    return self;
  };

  const runHook = (ctx: ActionContext, v: Victim, user: string) => {
    if (!o.onKill) return;
    const env = incidentEnv(ctx, {}, [{ pid: v.pid, name: v.name, cmdline: v.cmdline, user }]);
    deps.host
      .exec(o.onKill, [], { timeoutMs: o.hookTimeoutMs ?? 10_000, env })
      .then((r) => {
        if (r.code !== 0) deps.logger.warn(`${name}: on_kill ${o.onKill} exited ${r.code ?? r.signal}`, { pid: v.pid, stderr: r.stderr.trim().slice(0, 200) });
      })
      .catch((err) => deps.logger.warn(`${name}: on_kill ${o.onKill} failed`, { pid: v.pid, error: (err as Error).message }));
  };

  return {
    name,
    kind: 'protective',
    run: async (ctx): Promise<ActionOutcome> => {
      const { view, spare, chosen } = await chooseTopVictims(deps, ctx.incident, o);
      logSkips(deps.logger, name, chosen.skipped);
      if (chosen.victims.length === 0) return { outcome: 'skipped', summary: `no process to kill${chosen.skipped.length ? ` (${chosen.skipped.length} protected spared)` : ''}` };
      const target = chosen.victims.map((v) => v.pid).join(' ');
      const plans = chosen.victims.map((v) => plan(view, spare, v));
      const scopeNote = scope === 'process' ? '' : ` with its ${plans.map((p) => p.note ?? 'process').join(', ')}`;
      if (ctx.dryRun) return { outcome: 'dry_run', summary: listVictims('would kill', chosen.victims) + scopeNote, target };
      // read while they are alive: the hooks and the ledger name the user
      const users = new Map(chosen.victims.map((v) => [v.pid, deps.userName(view.uid(v.pid))]));

      for (const p of plans) {
        if (p.whole) {
          try {
            p.whole('SIGTERM');
          } catch {
            for (const m of p.members) signal(m, 'SIGTERM');
          }
        } else for (const m of p.members) signal(m, 'SIGTERM');
      }
      const all = plans.flatMap((p) => p.members);
      // A stopped process (frozen earlier) keeps SIGTERM pending until it runs again:
      // continue it, so it can exit cleanly within the grace instead of waiting for SIGKILL.
      for (const m of all) if (stopped(m)) sendCont(m);
      const deadline = deps.now() + graceMs;
      while (all.some(alive) && deps.now() < deadline && !ctx.signal.aborted) await deps.wait(Math.min(POLL_MS, Math.max(1, deadline - deps.now())));
      let forced = 0;
      for (const p of plans) {
        const left = p.members.filter(alive);
        if (left.length === 0) continue;
        forced += left.length;
        if (p.whole) {
          try {
            p.whole('SIGKILL');
            continue;
          } catch {
            // fall through to one by one
          }
        }
        for (const m of left) signal(m, 'SIGKILL');
      }
      // SIGKILL is not instant (a process in D state waits for its I/O): give it a moment.
      const killDeadline = deps.now() + 1_000;
      while (all.some(alive) && deps.now() < killDeadline && !ctx.signal.aborted) await deps.wait(POLL_MS);
      const survivors = all.filter(alive);
      deps.victims.note(ctx.incident, chosen.victims.map((v) => ({ pid: v.pid, name: v.name, cmdline: v.cmdline, user: users.get(v.pid)! })));
      for (const v of chosen.victims) runHook(ctx, v, users.get(v.pid)!);
      if (survivors.length === all.length) throw new ActionError(name, `${all.length} process(es) survived SIGKILL: ${survivors.map((m) => m.pid).join(' ')}`);
      const how = forced > 0 ? `; ${forced} needed SIGKILL after ${Math.round(graceMs / 1000)}s` : '';
      const rest = survivors.length > 0 ? `; ${survivors.length} still alive: ${survivors.map((m) => m.pid).join(' ')}` : '';
      return { outcome: 'ok', summary: listVictims('killed', chosen.victims) + scopeNote + how + rest, target };
    },
  };
};
