/**
 * Renders an incident into the short message every channel sends: a one-line title and a
 * few lines for a phone — what happened, where, how bad (value against threshold, with
 * the monitor type's unit), what PanicMode already did, and what to do next.
 *
 *   CRITICAL high_cpu on web-1: CPU 97.3% > 80% (×37 in 1m)
 *   What: CPU 97.3% > 80%, 37 times in 1m
 *   Where: web-1
 *   How bad: 97.3% against a threshold of 80% (critical)
 *   Details: top: java (pid 4242, 95%)
 *   Done: froze pid 4242
 *   Next: find the runaway: top -o %CPU; resume a frozen one: kill -CONT 4242
 *   At: 2026-11-21 14:03:07 UTC
 *
 * Pure: the same incident and options always give the same text.
 */
import type { Incident } from '../model/incident.js';
import { formatDurationSeconds } from '../config/duration.js';

export interface RenderOptions {
  /** the watched machine's hostname */
  host: string;
  /** what PanicMode already did ("blocked 3 IPs", "froze pid 4242") */
  actionsTaken?: string[];
  /** the rate-limit window a storm was collapsed over, for "×37 in 5m" */
  stormWindowMs?: number;
}

export interface RenderedAlert {
  title: string;
  text: string;
}

/** Unit and label per monitor type, for "CPU 97.3% > 80%" and "load (1m) 12.4 > 8". */
const measures: Record<string, { label: string; unit: string }> = {
  cpu_usage: { label: 'CPU', unit: '%' },
  memory_usage: { label: 'memory', unit: '%' },
  swap_usage: { label: 'swap', unit: '%' },
  disk_usage: { label: 'disk', unit: '%' },
  disk_io: { label: 'disk I/O', unit: '% busy' },
  connection_rate: { label: 'new connections', unit: ' conn/s' },
  auth_failures: { label: 'SSH auth failures', unit: ' failures' },
  log_failures: { label: 'log failures', unit: ' failures' },
  process_count: { label: 'processes', unit: ' processes' },
  load_average: { label: 'load (1m)', unit: '' },
  file_monitor: { label: 'file events', unit: ' events' },
  custom: { label: 'value', unit: '' },
  'anomaly:cpu_spike': { label: 'CPU', unit: '%' },
  'anomaly:memory_spike': { label: 'memory', unit: '%' },
  'anomaly:connection_spike': { label: 'connections', unit: ' connections' },
  'anomaly:suspicious_ips': { label: 'suspicious IPs', unit: ' IPs' },
  'anomaly:high_load': { label: 'load (1m)', unit: '' },
  'self_check:cpu': { label: 'PanicMode CPU', unit: '%' },
  'self_check:memory': { label: 'PanicMode memory', unit: ' MB' },
  'self_check:event_loop': { label: 'event loop lag', unit: ' ms' },
  'self_check:memory_growth': { label: 'PanicMode memory growth', unit: ' MB' },
  'self_check:open_fds': { label: 'PanicMode open files', unit: '% of the limit' },
  'self_check:metrics_stalled': { label: 'metrics stalled', unit: ' s' },
};

/** What to do next, per monitor type (the family before `:` as a fallback). */
const hints: Record<string, string> = {
  cpu_usage: 'find the runaway: top -o %CPU',
  memory_usage: 'find the biggest process: top -o %MEM (OOM risk)',
  swap_usage: 'find the biggest process: top -o %MEM; swapping slows everything',
  disk_usage: 'find what grew: du -xh --max-depth=2 <mount> | sort -h | tail',
  disk_io: 'find the writer: iotop -o (or pidstat -d 1)',
  connection_rate: 'see who connects: ss -tn state established; bans: panicmode ctl list',
  auth_failures: 'bans: panicmode ctl list; unban a friend: panicmode ctl unblock <ip>',
  log_failures: 'bans: panicmode ctl list; unban a friend: panicmode ctl unblock <ip>',
  process_count: 'look for a fork storm: ps -e --forest | less',
  load_average: 'check CPU and I/O wait: top, then iostat -x 1',
  file_monitor: 'review the change; restore from a known-good copy if it was not you',
  custom: 'run the custom metric command by hand to see the value',
  'anomaly:connection_spike': 'see who connects: ss -tn state established; bans: panicmode ctl list',
  'anomaly:suspicious_ips': 'bans: panicmode ctl list; unban a friend: panicmode ctl unblock <ip>',
  'anomaly:cpu_spike': 'find the runaway: top -o %CPU',
  'anomaly:memory_spike': 'find the biggest process: top -o %MEM (OOM risk)',
  'anomaly:high_load': 'check CPU and I/O wait: top, then iostat -x 1',
  self_check: 'PanicMode itself is struggling: journalctl -u panicmode',
  anomaly: 'look at the host now: top, ss -s, df -h; recent incidents: panicmode incidents',
};

const measureOf = (type: string) => measures[type] ?? { label: type.split(':').pop() ?? type, unit: '' };

/** 97.3, 12, 0.05 — one decimal unless the value is whole or tiny. */
export const formatNumber = (v: number): string => {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  return a >= 1 || a === 0 ? v.toFixed(1) : v.toPrecision(2);
};

/** Value against threshold with the unit: "97.3% > 80%" (the sign read from the values). */
export const valueVsThreshold = (incident: Incident): string => {
  const { currentValue: v, threshold: t, monitorType } = incident.metadata;
  const { unit } = measureOf(monitorType);
  const sign = v > t ? '>' : v < t ? '<' : '=';
  return `${formatNumber(v)}${unit} ${sign} ${formatNumber(t)}${unit}`;
};

/** "×37 in 5m" for a collapsed storm, "" for a single occurrence. */
export const stormSuffix = (count: number, windowMs?: number): string =>
  count > 1 ? `×${count}${windowMs ? ` in ${formatDurationSeconds(windowMs)}` : ''}` : '';

/** The hint for a monitor type, plus how to undo a freeze when one was done. */
export const nextStep = (incident: Incident, actionsTaken: string[]): string => {
  const type = incident.metadata.monitorType;
  const family = type.split(':')[0] ?? type;
  const parts = [hints[type] ?? hints[family] ?? 'see the incident: panicmode incidents'];
  const pids = incident.metadata.pids ?? [];
  if (actionsTaken.some((a) => /\bfro(ze|zen)\b/i.test(a)) && pids.length > 0) {
    parts.push(`resume a frozen one: kill -CONT ${pids.slice(0, 5).join(' ')}`);
  }
  return parts.join('; ');
};

const utc = (ts: number): string => new Date(ts).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');

/** What the rule said, or the value line built from the metadata when it said nothing. */
const whatHappened = (incident: Incident): string => {
  const described = incident.description.replace(/^resolved:\s*/i, '').trim();
  if (described) return described;
  return `${measureOf(incident.metadata.monitorType).label} ${valueVsThreshold(incident)}`;
};

/** Renders the title and phone-sized text for one alert. */
export const renderAlert = (incident: Incident, options: RenderOptions): RenderedAlert => {
  const { host } = options;
  const done = (options.actionsTaken ?? []).filter((a) => a.trim() !== '');
  const { unit, label } = measureOf(incident.metadata.monitorType);
  const value = `${formatNumber(incident.metadata.currentValue)}${unit}`;
  const threshold = `${formatNumber(incident.metadata.threshold)}${unit}`;
  const details = incident.metadata.details.trim();
  const storm = stormSuffix(incident.count, options.stormWindowMs);

  if (incident.status === 'resolved') {
    const title = `RESOLVED ${incident.name} on ${host}: ${label} now ${value} (threshold ${threshold})`;
    const lines = [
      `RESOLVED: ${incident.name} on ${host} is back to normal`,
      `Now: ${value} (threshold ${threshold})`,
      ...(done.length > 0 ? [`Done earlier: ${done.join(', ')}`] : []),
      `At: ${utc(incident.ts)}`,
    ];
    return { title: storm ? `${title} ${storm}` : title, text: lines.join('\n') };
  }

  const what = whatHappened(incident);
  const title = `${incident.severity.toUpperCase()} ${incident.name} on ${host}: ${what}${storm ? ` (${storm})` : ''}`;
  const lines = [
    `What: ${what}${storm ? `, ${storm.replace(/^×(\d+)/, '$1 times')}` : ''}`,
    `Where: ${host}`,
    `How bad: ${value} against a threshold of ${threshold} (${incident.severity})`,
    ...(details && details !== what ? [`Details: ${details}`] : []),
    `Done: ${done.length > 0 ? done.join(', ') : 'nothing automatic, alert only'}`,
    `Next: ${nextStep(incident, done)}`,
    `At: ${utc(incident.ts)}`,
  ];
  return { title, text: lines.join('\n') };
};

/** Cuts a text to `max` characters, ending in "…" when cut (chat APIs reject longer). */
export const clip = (text: string, max: number): string =>
  text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;

/** Title and text as one plain body, for channels with a single text field (chat, SMS). */
export const plainBody = (m: { title: string; text: string }, max = Infinity): string => clip(`${m.title}\n\n${m.text}`, max);
