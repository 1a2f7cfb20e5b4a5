/**
 * The `rate_limit` action (and any `type: firewall` action with a `rate`): a lighter
 * hand than a ban or a freeze, for the incident in front of it.
 *
 * - An incident that names offending addresses (connection_rate, auth_failures, ...):
 *   each source is held to `rate` new connections in PanicMode's nftables table, for
 *   `duration` (firewall/rate-limiter.ts).
 * - A process incident (cpu_usage, load_average, or any incident naming pids): its
 *   victim is capped at `cpu` % of one CPU (throttle/cpu-capper.ts) until the incident
 *   resolves or `duration` has passed.
 *
 * A part the agent could not build (no nftables backend, no never-touched list yet)
 * makes that half say why it did nothing; the other half still works.
 */
import { filter, type Observable } from 'rxjs';
import type { Action, ActionOutcome } from './action.js';
import type { Incident } from '../model/incident.js';
import type { LimitResult, RateLimiter } from '../firewall/rate-limiter.js';
import { formatRate, type ConnectionRate } from '../firewall/connection-rate.js';
import type { CpuCapper } from '../throttle/cpu-capper.js';
import { describeCap } from '../throttle/cpu-capper.js';
import { incidentIps, listSome, refusalPhrases } from './block-ip.js';
import { ActionError } from '../errors.js';
import { formatDuration } from '../config/duration.js';

/** Monitor types whose incidents are about processes even when they name no pid. */
const processTypes = new Set(['cpu_usage', 'load_average']);

export interface RateLimitActionOptions {
  /** the action's name in the config (default `rate_limit`) */
  name?: string;
  /** new connections per source */
  rate: ConnectionRate;
  /** how long a limit or cap lasts, ms; null = until lifted (a cap: until its incident resolves) */
  durationMs: number | null;
  /** the share of one CPU a process victim is held to, (0, 1) */
  cpuShare: number;
  /** the limiter, or why IP incidents cannot be limited here */
  connections: RateLimiter | string;
  /** the capper and its victim choice, or why process incidents cannot be capped here */
  processes: { capper: CpuCapper; pickVictim: (incident: Incident) => Promise<number | string> } | string;
  /** keys of incidents as they resolve: a cap lifts with its incident */
  resolvedKeys$?: Observable<string>;
}

/** One phrase for a limit result. */
export const summariseLimits = (r: LimitResult, rate: ConnectionRate, durationMs: number | null, dryRun = false): string => {
  const parts: string[] = [];
  if (r.limited.length > 0) {
    const n = r.limited.length;
    parts.push(`${dryRun ? 'would limit' : 'limited'} ${n} IP${n === 1 ? '' : 's'} to ${formatRate(rate)} new connections${durationMs === null ? '' : ` for ${formatDuration(durationMs)}`}: ${listSome(r.limited.map((v) => v.ip))}`);
  }
  parts.push(...refusalPhrases(r, 'already limited'));
  return parts.join('; ') || 'no IPs to limit';
};

export const rateLimitAction = (o: RateLimitActionOptions): Action => {
  const name = o.name ?? 'rate_limit';

  const limitSources = async (ips: string[], incident: Incident, dryRun: boolean): Promise<ActionOutcome> => {
    if (typeof o.connections === 'string') return { outcome: 'skipped', summary: `not limiting ${listSome(ips)}: ${o.connections}` };
    const limiter = o.connections;
    const options = { rate: o.rate, durationMs: o.durationMs, reason: incident.name };
    const dry = dryRun || limiter.dryRun;
    const r = dryRun ? await limiter.plan(ips, options) : await limiter.limit(ips, options);
    const summary = summariseLimits(r, o.rate, o.durationMs, dry);
    if (r.failed.length > 0 && r.limited.length === 0) throw new ActionError(name, summary);
    const target = r.limited.map((v) => v.ip).join(' ') || undefined;
    return { outcome: dry ? 'dry_run' : r.limited.length > 0 ? 'ok' : 'skipped', summary, target };
  };

  const capVictim = async (incident: Incident, dryRun: boolean): Promise<ActionOutcome> => {
    if (typeof o.processes === 'string') return { outcome: 'skipped', summary: `no CPU cap: ${o.processes}` };
    const { capper, pickVictim } = o.processes;
    const victim = await pickVictim(incident);
    if (typeof victim === 'string') return { outcome: 'skipped', summary: `no process to cap: ${victim}` };
    const until$ = o.resolvedKeys$?.pipe(filter((k) => k === incident.key));
    const options = { share: o.cpuShare, durationMs: o.durationMs, until$, reason: incident.name };
    const r = dryRun ? await capper.plan(victim, options) : await capper.cap(victim, options);
    if (r.outcome === 'skipped') return { outcome: 'skipped', summary: `no CPU cap: ${r.reason}`, target: String(victim) };
    if (r.outcome === 'already') return { outcome: 'skipped', summary: `${r.cap.name} (pid ${victim}) already capped`, target: String(victim) };
    return { outcome: dryRun ? 'dry_run' : 'ok', summary: describeCap(r.cap, dryRun), target: String(victim) };
  };

  return {
    name,
    kind: 'protective',
    run: async (ctx): Promise<ActionOutcome> => {
      const ips = incidentIps(ctx.incident);
      if (ips.length > 0) return limitSources(ips, ctx.incident, ctx.dryRun);
      if ((ctx.incident.metadata.pids?.length ?? 0) > 0 || processTypes.has(ctx.incident.metadata.monitorType)) return capVictim(ctx.incident, ctx.dryRun);
      return { outcome: 'skipped', summary: 'nothing to limit: the incident names no address and no process' };
    },
  };
};
