/**
 * What an incident's action names stand for in a rule test, decided from the config
 * as actions/registry.ts decides it: protective (run before the alert, awaited) or
 * background (after), and whether it bans (block_ip, and `actions:` entries of type
 * firewall without a `rate`, with their `duration`). Alert actions are not actions here: alerts are
 * recorded at the channel boundary.
 */
import type { Config } from '../config/schema.js';

export interface ActionMeaning {
  protective: boolean;
  /** set for actions that ban: the ban length before growth (ms) */
  banMs?: number;
}

const background = new Set(['snapshot', 'run_script']);

export const actionMeaning = (config: Config, name: string): ActionMeaning | null => {
  if (name.startsWith('alert_')) return null;
  const def = config.actions[name];
  if (name === 'block_ip' && !def) return { protective: true, banMs: config.firewall.ban_duration };
  // a firewall action with a rate (and rate_limit) limits connections: it bans nothing
  if (def?.type === 'firewall' && def.rate === undefined && name !== 'rate_limit') return { protective: true, banMs: def.duration ?? config.firewall.ban_duration };
  if (def?.type === 'script' || def?.type === 'system') return { protective: false };
  return { protective: !background.has(name) };
};
