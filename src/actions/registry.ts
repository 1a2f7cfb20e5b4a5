/**
 * Action names → implementations, built from the config. Built-in names come first;
 * entries of the `actions:` section add named script actions (or give a built-in its
 * parameters, like block_ip's `duration`). Actions whose implementation has not arrived
 * yet are listed as unavailable, so the agent says so at start instead of failing late.
 */
import type { Config } from '../config/schema.js';
import type { Host } from '../host/host.js';
import type { Logger } from '../log/logger.js';
import type { Action } from './action.js';
import type { BanManager } from '../firewall/ban-manager.js';
import { blockIpAction } from './block-ip.js';
import { scriptAction } from './run-script.js';
import { snapshotAction } from './snapshot.js';
import { restartProcessAction } from './restart-process.js';
import type { Supervisor } from '../supervision/supervisor.js';

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
  /** the supervisor behind restart_process; null when no `processes:` are configured */
  supervisor?: Pick<Supervisor, 'restartFor'> | null;
}

const notYet = ['freeze_top_process', 'mass_freeze', 'mass_freeze_top', 'kill_process', 'rate_limit'];

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
  registry.set('snapshot', snapshotAction(config.storage.snapshot_dir, deps.host, timeout));
  if (deps.supervisor) registry.set('restart_process', restartProcessAction(deps.supervisor));
  else unavailable.set('restart_process', 'no enabled service under processes: to restart');

  for (const [name, def] of Object.entries(config.actions)) {
    if (def.type === 'script' && def.action) {
      registry.set(name, scriptAction(name, def.action, deps.host, def.timeout ?? timeout, { args: def.args, env: def.env }));
    } else if (def.type === 'firewall' && name !== 'rate_limit') {
      blockIp(name, def.duration ?? config.firewall.ban_duration);
    } else if (def.type === 'system') {
      registry.set(name, snapshotAction(config.storage.snapshot_dir, deps.host, def.timeout ?? timeout));
    }
  }
  // `run_script` with no definition of its own has nothing to run.
  if (!registry.has('run_script')) unavailable.set('run_script', 'no `actions: run_script: {type: script, action: PATH}` defined');

  const used = new Set([...config.monitors.filter((m) => m.enabled).flatMap((m) => m.actions), ...config.processes.filter((p) => p.enabled).flatMap((p) => p.actions)]);
  for (const name of used) {
    if (registry.has(name) || unavailable.has(name) || name.startsWith('alert_')) continue;
    if (notYet.includes(name) || name.startsWith('mass_freeze_cluster:')) {
      unavailable.set(name, 'process protection arrives with its own issue');
    }
  }
  for (const name of [...unavailable.keys()]) if (!used.has(name)) unavailable.delete(name);
  return { registry, unavailable };
};
