/**
 * Which keys act for which types. A key that nothing acts on is a rule the operator
 * believes is on, so it is refused with its place and why (`keyProblems`, part of the
 * config's cross-field checks) — except where the configs operators already have (the
 * Rust PanicMode's examples, ours) write it: those are accepted and named at start-up
 * (`inertKeyWarnings`), so the operator is told without their config breaking.
 */
import type { ActionDefinitionConfig, Config, MonitorConfig } from './schema.js';
import { processBehaviour, processKeys } from './process-actions.js';
import { bundleSections, commandTimeoutMs, foreignCaptureNames } from '../snapshot/snapshot-config.js';

/** Monitor types that count events in `window`. */
const countsInWindow = new Set(['auth_failures', 'log_failures']);
/** Monitor types whose condition is judged per check, so `duration` can hold it. */
const eventDriven = new Set(['auth_failures', 'log_failures', 'file_monitor']);
/** Monitor types that read `paths`. */
const readsPaths = new Set(['disk_usage', 'file_monitor', 'auth_failures', 'log_failures']);

/** Monitor types that read `samples`, `multiplier`, `psi`. */
const readsSamples = new Set(['memory_leak', 'process_cpu_spike']);
const pressureTypes = new Set(['cpu_pressure', 'memory_pressure', 'io_pressure']);

/** The threshold's range for types whose value has one (a PSI share, a rate), and what it means. */
const thresholdRanges: Record<string, { min: number; max: number; minExclusive?: boolean; what: string }> = {
  cpu_pressure: { min: 0, max: 100, what: 'a share of time stalled, %' },
  memory_pressure: { min: 0, max: 100, what: 'a share of time stalled, %' },
  io_pressure: { min: 0, max: 100, what: 'a share of time stalled, %' },
  zombie_processes: { min: 0, max: Infinity, what: 'a number of zombies' },
  memory_leak: { min: 0, max: Infinity, minExclusive: true, what: 'MB/min of RSS growth; 0 would call any rise a leak' },
  process_cpu_spike: { min: 0, max: Infinity, what: 'the CPU % floor a spike must also pass' },
  process_growth: { min: 0, max: Infinity, minExclusive: true, what: 'processes started per second' },
};

/** The definition keys each action type acts on (`type` aside). */
const actionKeys: Record<ActionDefinitionConfig['type'], readonly string[]> = {
  script: ['action', 'args', 'env', 'timeout'],
  firewall: ['duration', 'rate', 'cpu'],
  process: ['action', ...new Set(Object.values(processKeys).flat())],
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
  if (m.samples !== undefined && !readsSamples.has(m.type)) problems.push(`${at}.samples: only memory_leak and process_cpu_spike monitors count reads (this one is ${m.type})`);
  if (m.multiplier !== undefined && m.type !== 'process_cpu_spike') problems.push(`${at}.multiplier: only process_cpu_spike monitors compare with a multiple of an average (this one is ${m.type})`);
  if (m.psi !== undefined && !pressureTypes.has(m.type)) problems.push(`${at}.psi: only cpu_pressure, memory_pressure and io_pressure monitors read a PSI line (this one is ${m.type})`);
  const range = thresholdRanges[m.type];
  if (range && (m.threshold > range.max || (range.minExclusive ? m.threshold <= range.min : m.threshold < range.min))) {
    const bounds = range.max === Infinity ? `${range.minExclusive ? 'above' : 'at least'} ${range.min}` : `from ${range.min} to ${range.max}`;
    problems.push(`${at}.threshold: a ${m.type} threshold is ${range.what}: expected ${bounds}, got ${m.threshold}`);
  }
  return problems;
};

/** Problems with keys the action definition at `actions.<name>` sets but its type does not act on. */
export const actionKeyProblems = (name: string, def: ActionDefinitionConfig): string[] => {
  const at = `actions.${name}`;
  if (def.type === 'process') {
    const b = processBehaviour(name, def.action);
    if (typeof b !== 'string') return [`${at}.${b.problem}`];
    const acts = processKeys[b];
    return Object.keys(def)
      .filter((k) => k !== 'type' && k !== 'action' && !acts.includes(k) && def[k as keyof ActionDefinitionConfig] !== undefined)
      .map((k) => `${at}.${k}: a ${b} process action does not use ${k}${acts.length ? ` (it uses ${acts.join(', ')})` : ''}`);
  }
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
  // cpu caps a process incident's victim: only a limiting action (rate_limit, or one with a rate) does that; a ban would ignore it.
  if (def.type === 'firewall' && def.cpu !== undefined && def.rate === undefined && name !== 'rate_limit') {
    problems.push(`${at}.cpu: only a rate-limiting action caps a process's CPU (name it rate_limit or give it a rate); this one bans`);
  }
  return problems;
};

/** Problems with sections whose feature does not exist yet and that no shipped config writes. */
export const sectionProblems = (config: Config): string[] =>
  config.http_api.token !== undefined ? ['http_api.token: the HTTP API is not served yet, so there is nothing to protect with a token; remove it until the API exists'] : [];

/** Problems with `anomaly.fork_bomb` keys that would do nothing. */
export const forkBombProblems = (config: Config): string[] => {
  const f = config.anomaly.fork_bomb;
  return !f.kill && f.grace > 0
    ? ['anomaly.fork_bomb.grace: the time a frozen bomb waits before it is killed, but kill is false (it stays frozen): remove grace or set kill: true']
    : [];
};

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
  }
  if (config.storage.log_dir !== undefined) out.push('storage.log_dir is ignored: PanicMode logs to stderr (the journal under systemd) and writes no log files');
  if (config.storage.state_file !== undefined) out.push('storage.state_file is ignored: deduplication state is kept in the incident database (storage.incident_db)');
  if (config.users !== undefined) out.push('users: is ignored: per-user tracking is not available yet');
  return out;
};
