/**
 * Which number each monitor type compares with its threshold: the knowledge of
 * "cpu_usage means Metrics.cpu.usagePercent" lives in this one table, and so does
 * whether that number is an average over its collector's sampling window (`windowOf`:
 * a share or rate from counter deltas) or read as it is. Selectors run
 * on every tick for every rule, so they only read numbers; the details an incident
 * carries (top processes, busiest device) are built by the annotator, only on firing.
 */
import type { MetricKey, Metrics } from '../model/metrics.js';
import type { Subject, SubjectAnnotator, SubjectMeasure, SubjectSelector } from './subject.js';
import { processAnomalyMeasure, type ProcessAnomalyOptions } from './process-anomalies.js';

const one = (value: number | undefined | null): Subject[] | null =>
  value === undefined || value === null || Number.isNaN(value) ? null : [{ key: '', value }];

const topByCpu: SubjectAnnotator = (m) => {
  const top = m.processes?.topByCpu.slice(0, 3) ?? [];
  return top.length === 0
    ? {}
    : {
        details: 'top: ' + top.map((p) => `${p.name} (pid ${p.pid}) ${p.cpuPercent.toFixed(0)}%`).join(', '),
        pids: top.map((p) => p.pid),
      };
};

const topByMemory: SubjectAnnotator = (m) => {
  const top = m.processes?.topByMemory.slice(0, 3) ?? [];
  return top.length === 0
    ? {}
    : {
        details: 'top: ' + top.map((p) => `${p.name} (pid ${p.pid}) ${(p.rssBytes / 1048576).toFixed(0)} MB`).join(', '),
        pids: top.map((p) => p.pid),
      };
};

export interface SelectorOptions extends ProcessAnomalyOptions {
  /** disk_usage: only these mount points (all real mounts when empty) */
  paths?: string[];
  /** custom: the custom_metrics key */
  metric?: string;
  /** cpu/memory/io_pressure: the PSI line (default: memory and io `full`, cpu `some`) */
  psi?: 'some' | 'full';
}

export type MonitorMeasure = ({ select: SubjectSelector; measure?: undefined } | { measure: SubjectMeasure; select?: undefined }) & {
  annotate?: SubjectAnnotator;
  /** the collector whose sampling window the value averages over (RuleSpec.windowOf); absent for an instantaneous value */
  windowOf?: MetricKey;
};

/** The PSI line a pressure monitor reads by default: `full` (every task stalled) where the kernel keeps it, as systemd-oomd does for memory; CPU's `full` is 0 system-wide. */
export const defaultPsiLine = (type: string): 'some' | 'full' => (type === 'cpu_pressure' ? 'some' : 'full');

const psiField = (type: string, line: 'some' | 'full') =>
  `${type.slice(0, type.indexOf('_'))}${line === 'some' ? 'Some' : 'Full'}Avg10` as keyof NonNullable<Metrics['pressure']>;

/** The monitor types that have a collector now; null for the others. */
export const measureFor = (type: string, options: SelectorOptions = {}): MonitorMeasure | null => {
  switch (type) {
    case 'cpu_usage':
      return { select: (m) => one(m.cpu?.usagePercent), annotate: topByCpu, windowOf: 'cpu' };
    case 'memory_usage':
      return { select: (m) => one(m.memory?.usagePercent), annotate: topByMemory };
    case 'swap_usage':
      // A host without swap has nothing to measure: no subjects rather than 0 %.
      return { select: (m) => (m.memory ? (m.memory.swapTotalBytes > 0 ? one(m.memory.swapUsagePercent) : []) : null), annotate: topByMemory };
    case 'disk_usage': {
      const wanted = options.paths && options.paths.length > 0 ? new Set(options.paths) : null;
      return {
        select: (m) =>
          m.disk
            ? m.disk.mounts.filter((mt) => !wanted || wanted.has(mt.mountPoint)).map((mt) => ({ key: mt.mountPoint, value: mt.usagePercent }))
            : null,
        annotate: (m, s) => {
          const mt = m.disk?.mounts.find((x) => x.mountPoint === s.key);
          return mt ? { details: `${mt.mountPoint} (${mt.device}) ${(mt.availableBytes / 1073741824).toFixed(1)} GB free` } : {};
        },
      };
    }
    case 'disk_io':
      return {
        select: (m) => one(m.diskIo?.maxUtilizationPercent),
        windowOf: 'diskIo',
        annotate: (m) => {
          const busiest = [...(m.diskIo?.devices ?? [])].sort((a, b) => b.utilizationPercent - a.utilizationPercent)[0];
          return busiest ? { details: `busiest: ${busiest.device} (${busiest.utilizationPercent.toFixed(0)}% busy)` } : {};
        },
      };
    case 'connection_rate':
      return {
        select: (m) => one(m.network?.newConnectionsPerSec),
        windowOf: 'network',
        annotate: (m) => {
          const top = Object.entries(m.network?.establishedPerRemoteIp ?? {})
            .sort((a, b) => b[1] - a[1])
            .slice(0, 5);
          return top.length ? { details: 'top peers: ' + top.map(([ip, n]) => `${ip} (${n})`).join(', '), ips: top.map(([ip]) => ip) } : {};
        },
      };
    case 'process_count':
      return { select: (m) => one(m.processes?.count) };
    case 'load_average':
      return { select: (m) => one(m.load?.load1), annotate: topByCpu };
    case 'custom': {
      const metric = options.metric;
      return { select: (m) => (metric !== undefined && metric in m.custom ? one(m.custom[metric]) : null) };
    }
    case 'cpu_pressure':
    case 'memory_pressure':
    case 'io_pressure': {
      // NaN (a line this kernel does not write) is "no data", as for a missing file
      const field = psiField(type, options.psi ?? defaultPsiLine(type));
      const annotate = type === 'cpu_pressure' ? topByCpu : type === 'memory_pressure' ? topByMemory : undefined;
      return { select: (m) => one(m.pressure?.[field]), ...(annotate ? { annotate } : {}) };
    }
    default:
      return processAnomalyMeasure(type, options);
  }
};

/** Monitor types that are event-driven or arrive with their own issue. */
export const eventDrivenTypes = new Set(['auth_failures', 'log_failures', 'file_monitor']);

/** Units for messages: "CPU 97.3% > 80%". */
export const unitFor = (type: string): string => {
  switch (type) {
    case 'cpu_usage':
    case 'memory_usage':
    case 'swap_usage':
    case 'disk_usage':
    case 'disk_io':
    case 'process_cpu_spike':
      return '%';
    case 'cpu_pressure':
    case 'memory_pressure':
    case 'io_pressure':
      return '%';
    case 'connection_rate':
      return ' conn/s';
    case 'memory_leak':
      return ' MB/min';
    case 'process_growth':
      return ' processes/s';
    case 'auth_failures':
    case 'log_failures':
      return ' failures';
    default:
      return '';
  }
};

export const labelFor = (type: string): string =>
  ({
    cpu_usage: 'CPU',
    memory_usage: 'memory',
    swap_usage: 'swap',
    disk_usage: 'disk',
    disk_io: 'disk I/O utilisation',
    connection_rate: 'new connections',
    process_count: 'processes',
    load_average: 'load (1m)',
    auth_failures: 'SSH auth failures',
    log_failures: 'log failures',
    file_monitor: 'file events',
    custom: 'value',
    cpu_pressure: 'CPU pressure (avg10)',
    memory_pressure: 'memory pressure (avg10)',
    io_pressure: 'I/O pressure (avg10)',
    zombie_processes: 'zombie processes',
    memory_leak: 'RSS growth of',
    process_cpu_spike: 'CPU spike of',
    process_growth: 'process growth',
  })[type] ?? type;
