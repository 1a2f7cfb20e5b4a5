/**
 * Action names → implementations, built from the config. Built-in names come first;
 * entries of the `actions:` section add named script actions (or give a built-in its
 * parameters, like block_ip's `duration`). Actions whose implementation has not arrived
 * yet are listed as unavailable, so the agent says so at start instead of failing late.
 */
import type { ActionDefinitionConfig, Config } from '../config/schema.js';
import type { Host } from '../host/host.js';
import type { Logger } from '../log/logger.js';
import type { Action } from './action.js';
import type { BanManager } from '../firewall/ban-manager.js';
import { blockIpAction } from './block-ip.js';
import { scriptAction } from './run-script.js';
import { snapshotAction } from './snapshot.js';
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
}

const notYet = ['freeze_top_process', 'mass_freeze', 'mass_freeze_top', 'kill_process', 'rate_limit', 'restart_process'];

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

  for (const [name, def] of Object.entries(config.actions)) {
    if (def.type === 'script' && def.action) {
      registry.set(name, scriptAction(name, def.action, deps.host, def.timeout ?? timeout, { args: def.args, env: def.env }));
    } else if (def.type === 'firewall' && name !== 'rate_limit') {
      blockIp(name, def.duration ?? config.firewall.ban_duration);
    } else if (def.type === 'system') {
      registry.set(name, snapshot(name, def));
    }
  }
  // `run_script` with no definition of its own has nothing to run.
  if (!registry.has('run_script')) unavailable.set('run_script', 'no `actions: run_script: {type: script, action: PATH}` defined');

  const used = new Set(config.monitors.filter((m) => m.enabled).flatMap((m) => m.actions));
  for (const name of used) {
    if (registry.has(name) || unavailable.has(name) || name.startsWith('alert_')) continue;
    if (notYet.includes(name) || name.startsWith('mass_freeze_cluster:')) {
      unavailable.set(name, 'process protection arrives with its own issue');
    }
  }
  for (const name of [...unavailable.keys()]) if (!used.has(name)) unavailable.delete(name);
  return { registry, unavailable };
};
