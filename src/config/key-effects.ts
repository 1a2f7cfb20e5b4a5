/**
 * Which keys act for which types. A key that nothing acts on is a rule the operator
 * believes is on, so it is refused with its place and why (`keyProblems`, part of the
 * config's cross-field checks) — except where the configs operators already have (the
 * Rust PanicMode's examples, ours) write it: those are accepted and named at start-up
 * (`inertKeyWarnings`), so the operator is told without their config breaking.
 */
import type { ActionDefinitionConfig, Config, MonitorConfig } from './schema.js';
import { bundleSections, commandTimeoutMs, foreignCaptureNames } from '../snapshot/snapshot-config.js';

/** Monitor types that count events in `window`. */
const countsInWindow = new Set(['auth_failures', 'log_failures']);
/** Monitor types whose condition is judged per check, so `duration` can hold it. */
const eventDriven = new Set(['auth_failures', 'log_failures', 'file_monitor']);
/** Monitor types that read `paths`. */
const readsPaths = new Set(['disk_usage', 'file_monitor', 'auth_failures', 'log_failures']);

/** The definition keys each action type acts on (`type` aside). */
const actionKeys: Record<ActionDefinitionConfig['type'], readonly string[]> = {
  script: ['action', 'args', 'env', 'timeout'],
  firewall: ['duration', 'rate'],
  process: ['action', 'count'],
  system: ['capture', 'commands', 'timeout'],
};

/** Problems with keys the monitor at `at` (`monitors[2]`) sets but its type does not act on. */
export const monitorKeyProblems = (at: string, m: MonitorConfig): string[] => {
  const problems: string[] = [];
  if (m.window !== undefined && !countsInWindow.has(m.type) && m.type !== 'connection_rate') {
    const instead = m.type === 'file_monitor' ? 'file_monitor counts over file_monitor.aggregation_window' : 'use duration to require the condition for a time';
    problems.push(`${at}.window: only auth_failures and log_failures monitors count events in a window (this one is ${m.type}: ${instead})`);
  }
  if (m.duration !== undefined && eventDriven.has(m.type)) {
    problems.push(`${at}.duration: ${m.type} monitors fire on events as they come (threshold within ${m.type === 'file_monitor' ? 'file_monitor.aggregation_window' : 'window'}); duration does not apply`);
  }
  if (m.paths !== undefined && !readsPaths.has(m.type)) problems.push(`${at}.paths: only ${[...readsPaths].join(', ')} monitors read paths (this one is ${m.type})`);
  if (m.recursive !== undefined && m.type !== 'file_monitor') problems.push(`${at}.recursive: only file_monitor monitors watch directories (this one is ${m.type})`);
  return problems;
};

/** Problems with keys the action definition at `actions.<name>` sets but its type does not act on. */
export const actionKeyProblems = (name: string, def: ActionDefinitionConfig): string[] => {
  const at = `actions.${name}`;
  const acts = actionKeys[def.type];
  const problems = Object.keys(def)
    .filter((k) => k !== 'type' && !acts.includes(k) && def[k as keyof ActionDefinitionConfig] !== undefined)
    .map((k) => `${at}.${k}: a ${def.type} action does not use ${k} (it uses ${acts.join(', ')})`);
  // capture: names a snapshot section; a typo would silently drop one
  def.capture?.forEach((c, i) => {
    if (!(bundleSections as readonly string[]).includes(c) && !Object.hasOwn(foreignCaptureNames, c)) {
      problems.push(`${at}.capture[${i}]: "${c}" is not a snapshot section (one of ${bundleSections.join(', ')}; extra commands go under commands:)`);
    }
  });
  // A firewall action with a rate would ban instead of limiting: only rate_limit is
  // accepted with it (warned about: rate limiting is not built yet).
  if (def.type === 'firewall' && def.rate !== undefined && name !== 'rate_limit') {
    problems.push(`${at}.rate: rate limiting is not available yet, and this action would ban the address for its duration instead; remove rate (or name the action rate_limit, which is logged and skipped)`);
  }
  return problems;
};

/** Problems with sections whose feature does not exist yet and that no shipped config writes. */
export const sectionProblems = (config: Config): string[] =>
  config.http_api.token !== undefined ? ['http_api.token: the HTTP API is not served yet, so there is nothing to protect with a token; remove it until the API exists'] : [];

/** Start-up warnings: keys that are accepted for compatibility but do nothing, each by its place. */
export const inertKeyWarnings = (config: Config): string[] => {
  const out: string[] = [];
  config.monitors.forEach((m, i) => {
    if (m.enabled && m.type === 'connection_rate' && m.window !== undefined) {
      out.push(`monitors[${i}].window is ignored: a connection_rate monitor compares each check's new connections per second with its threshold; there is no counting window (use duration to require it for a time)`);
    }
  });
  for (const [name, def] of Object.entries(config.actions)) {
    for (const c of def.capture ?? []) {
      if (Object.hasOwn(foreignCaptureNames, c)) out.push(`actions.${name}.capture: "${c}" is not read by PanicMode itself: ${foreignCaptureNames[c]}`);
    }
    if (def.type === 'system' && def.timeout !== undefined && def.commands === undefined) {
      out.push(`actions.${name}.timeout is ignored: it is the kill timer of the snapshot's commands, and ${name} has none (the bundle itself is read by PanicMode)`);
    }
    if (def.type === 'system' && def.timeout !== undefined && def.commands !== undefined) {
      const cut = commandTimeoutMs(def.timeout, config.circuit_breakers.timeout);
      if (cut < def.timeout) {
        out.push(`actions.${name}.timeout: its commands are killed after ${cut} ms, not ${def.timeout} ms: every action is stopped at circuit_breakers.timeout (${config.circuit_breakers.timeout} ms), and the snapshot must be written before that`);
      }
    }
    if (def.count !== undefined) out.push(`actions.${name}.count is ignored: process actions are not available yet`);
    if (def.rate !== undefined) out.push(`actions.${name}.rate is ignored: rate limiting is not available yet (${name} is logged and skipped)`);
  }
  if (config.storage.log_dir !== undefined) out.push('storage.log_dir is ignored: PanicMode logs to stderr (the journal under systemd) and writes no log files');
  if (config.storage.state_file !== undefined) out.push('storage.state_file is ignored: deduplication state is kept in the incident database (storage.incident_db)');
  if (config.users !== undefined) out.push('users: is ignored: per-user tracking is not available yet');
  return out;
};
