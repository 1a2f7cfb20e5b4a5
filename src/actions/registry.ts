/**
 * Action names → implementations, built from the config. Built-in names come first;
 * entries of the `actions:` section add named script actions (or give a built-in its
 * parameters, like block_ip's `duration`). Actions whose implementation has not arrived
 * yet are listed as unavailable, so the agent says so at start instead of failing late,
 * and each run of one is recorded as skipped (executor.ts).
 */
import type { Config } from '../config/schema.js';
import type { Host } from '../host/host.js';
import type { Logger } from '../log/logger.js';
import type { Action } from './action.js';
import type { BanManager } from '../firewall/ban-manager.js';
import { blockIpAction } from './block-ip.js';
import { scriptAction } from './run-script.js';
import { snapshotAction } from './snapshot.js';
import type { MassFreezePolicy } from '../config/mass-freeze.js';
import type { ProcessActionDeps } from './freeze-processes.js';
import { freezeTopProcessAction } from './freeze-top-process.js';
import { killProcessAction } from './kill-process.js';
import { massFreezeAction } from './mass-freeze.js';
import { massFreezeTopAction } from './mass-freeze-top.js';
import { massFreezeClusterAction } from './mass-freeze-cluster.js';
import { processBehaviour } from '../config/process-actions.js';
import { massFreezeClusterAction as clusterName, type ActionDefinitionConfig } from '../config/schema.js';
import { rateLimitAction, type RateLimitActionOptions } from './rate-limit.js';
import type { RateLimiter } from '../firewall/rate-limiter.js';
import { parseConnectionRate, type ConnectionRate } from '../firewall/connection-rate.js';
import type { Observable } from 'rxjs';
import { restartProcessAction } from './restart-process.js';
import type { Supervisor } from '../supervision/supervisor.js';
import { captureSections, commandTimeoutMs } from '../snapshot/snapshot-config.js';

export interface BuiltActions {
  registry: Map<string, Action>;
  /** action name → why it does nothing yet */
  unavailable: Map<string, string>;
}

export interface ActionDeps {
  host: Host;
  logger: Logger;
  /** the ban manager behind block_ip; null when `firewall.enabled` is false */
  firewall: BanManager | null;
  /** what the process actions act through (the frozen registry, the victim ledger, the clock) */
  processes: ProcessActionDeps;
  /** mass_freeze.yaml beside the config (or its defaults) */
  massFreeze: MassFreezePolicy;
  /** rate_limit's per-source connection limits, or why there are none */
  connectionLimiter?: RateLimiter | string;
  /** rate_limit's CPU caps for process incidents (capper and victim choice), or why there are none */
  cpuCaps?: RateLimitActionOptions['processes'];
  /** keys of incidents as they resolve (a CPU cap lifts with its incident) */
  resolvedKeys$?: Observable<string>;
  /** the supervisor behind restart_process; null when no `processes:` are enabled */
  supervisor?: Pick<Supervisor, 'restartFor'> | null;
}

/** Why restart_process (or a `type: process, action: restart` variant) does nothing. */
const NO_SERVICES = 'no enabled service under processes: to restart';

/** A process action from its definition (absent: the built-in's defaults). */
const processAction = (name: string, def: ActionDefinitionConfig | undefined, config: Config, deps: ActionDeps): Action | undefined => {
  const b = processBehaviour(name, def?.action);
  if (typeof b !== 'string') return undefined; // refused at load (key-effects.ts)
  const whitelist = config.process_whitelist;
  const re = (s: string | undefined) => (s === undefined ? undefined : new RegExp(s));
  const choice = { name, count: def?.count, minCpu: def?.min_cpu ?? DEFAULT_MIN_CPU, prefer: re(def?.prefer), avoid: re(def?.avoid), whitelist };
  const thawAfterMs = def?.thaw_after;
  const p = deps.processes;
  switch (b) {
    case 'freeze':
      return freezeTopProcessAction(p, { ...choice, thawAfterMs });
    case 'kill':
      // without a grace of its own, the kill still ends within the action's time limit
      return killProcessAction(p, {
        ...choice, scope: def?.scope, onKill: def?.on_kill, hookTimeoutMs: def?.timeout ?? config.circuit_breakers.timeout,
        graceMs: def?.grace ?? Math.min(5_000, Math.max(0, config.circuit_breakers.timeout - 1_500)),
      });
    case 'mass_freeze':
      return massFreezeAction(p, { policy: deps.massFreeze, whitelist, thawAfterMs });
    case 'mass_freeze_top':
      return massFreezeTopAction(p, { policy: deps.massFreeze, thawAfterMs });
    case 'mass_freeze_cluster':
      return massFreezeClusterAction(p, { cluster: clusterName.exec(name)![1]!, policy: deps.massFreeze, whitelist, thawAfterMs });
    case 'restart':
      return deps.supervisor ? restartProcessAction(deps.supervisor, name) : undefined;
  }
};

/** freeze_top_process / kill_process: a process under 10 % of a core is not a hog (the next "top" once the hog stops is `htop`). */
export const DEFAULT_MIN_CPU = 10;

/** The parameters of one rate-limiting action. */
export interface RateLimitDefinition {
  rate: ConnectionRate;
  /** ms; null = until lifted */
  durationMs: number | null;
  /** share of one CPU, (0, 1) */
  cpuShare: number;
}

/** rate_limit's defaults: the example config's 10/s, a ban's length, a quarter of a CPU. */
const DEFAULT_RATE = '10/s';
const DEFAULT_CPU_PERCENT = 25;

/**
 * The rate-limiting actions of a config: the built-in `rate_limit` (given its parameters
 * by an `actions: rate_limit: {type: firewall}` entry) and every `type: firewall` entry
 * with a `rate`, which limits instead of banning.
 */
export const rateLimitDefinitions = (config: Config): Map<string, RateLimitDefinition> => {
  const out = new Map<string, RateLimitDefinition>();
  const defs = Object.entries(config.actions).filter(([name, def]) => def.type === 'firewall' && (def.rate !== undefined || name === 'rate_limit'));
  if (!config.actions.rate_limit) defs.push(['rate_limit', { type: 'firewall' }]);
  for (const [name, def] of defs) {
    out.set(name, {
      rate: parseConnectionRate(def.rate ?? DEFAULT_RATE, `actions.${name}.rate`),
      durationMs: def.duration ?? config.firewall.ban_duration ?? null,
      cpuShare: (def.cpu ?? DEFAULT_CPU_PERCENT) / 100,
    });
  }
  return out;
};

/** The rates of the rate-limiting actions enabled monitors name: the nft sets the limiter needs. */
export const usedConnectionRates = (config: Config): ConnectionRate[] => {
  const used = new Set(config.monitors.filter((m) => m.enabled).flatMap((m) => m.actions));
  return [...rateLimitDefinitions(config)].filter(([name]) => used.has(name)).map(([, d]) => d.rate);
};

export const buildActions = (config: Config, deps: ActionDeps): BuiltActions => {
  const registry = new Map<string, Action>();
  const unavailable = new Map<string, string>();
  const timeout = config.circuit_breakers.timeout;

  const firewall = deps.firewall;
  const blockIp = (name: string, durationMs?: number) => {
    if (firewall) registry.set(name, blockIpAction(firewall, { name, durationMs }));
    else unavailable.set(name, 'firewall.enabled is false');
  };
  blockIp('block_ip', config.firewall.ban_duration);
  // `snapshot` and each `type: system` action: a diagnostic bundle (snapshot.ts)
  const snapshot = (name: string, def?: ActionDefinitionConfig) =>
    snapshotAction(name, deps.host, {
      dir: config.storage.snapshot_dir,
      maxSnapshots: config.storage.max_snapshots,
      sections: captureSections(def?.capture),
      commands: def?.commands ?? {},
      commandTimeoutMs: commandTimeoutMs(def?.timeout ?? timeout, timeout),
    });
  registry.set('snapshot', snapshot('snapshot'));

  const limits = rateLimitDefinitions(config);
  for (const [name, d] of limits) {
    registry.set(
      name,
      rateLimitAction({
        name,
        ...d,
        connections: deps.connectionLimiter ?? 'no connection limiter (firewall.enabled is false)',
        processes: deps.cpuCaps ?? 'no CPU capper built',
        resolvedKeys$: deps.resolvedKeys$,
      }),
    );
  }
  for (const [name, def] of Object.entries(config.actions)) {
    if (limits.has(name)) continue;
    if (def.type === 'script' && def.action) {
      registry.set(name, scriptAction(name, def.action, deps.host, def.timeout ?? timeout, { args: def.args, env: def.env }));
    } else if (def.type === 'firewall') {
      blockIp(name, def.duration ?? config.firewall.ban_duration);
    } else if (def.type === 'system') {
      registry.set(name, snapshot(name, def));
    } else if (def.type === 'process') {
      const action = processAction(name, def, config, deps);
      if (action) registry.set(name, action);
      else if (processBehaviour(name, def.action) === 'restart') unavailable.set(name, NO_SERVICES);
    }
  }
  // `run_script` with no definition of its own has nothing to run.
  if (!registry.has('run_script')) unavailable.set('run_script', 'no `actions: run_script: {type: script, action: PATH}` defined');

  const used = new Set([...config.monitors.filter((m) => m.enabled).flatMap((m) => m.actions), ...config.processes.filter((p) => p.enabled).flatMap((p) => p.actions)]);
  for (const name of used) {
    if (registry.has(name) || unavailable.has(name) || name.startsWith('alert_')) continue;
    if (!Object.hasOwn(config.actions, name)) {
      const action = processAction(name, undefined, config, deps);
      if (action) registry.set(name, action);
      else if (processBehaviour(name, undefined) === 'restart') unavailable.set(name, NO_SERVICES);
    }
  }
  for (const name of [...unavailable.keys()]) if (!used.has(name)) unavailable.delete(name);
  return { registry, unavailable };
};
