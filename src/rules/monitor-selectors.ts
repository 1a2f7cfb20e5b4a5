/**
 * Which number each monitor type compares with its threshold: the knowledge of
 * "cpu_usage means Metrics.cpu.usagePercent" lives in this one table.
 */
import type { Metrics, ProcessInfo } from '../model/metrics.js';
import type { Subject, SubjectSelector } from './subject.js';

const topProcesses = (m: Metrics, n = 3): { details: string; pids: number[] } | undefined => {
  const top = m.processes?.topByCpu.slice(0, n) ?? [];
  if (top.length === 0) return undefined;
  return {
    details: 'top: ' + top.map((p: ProcessInfo) => `${p.name} (pid ${p.pid}) ${p.cpuPercent.toFixed(0)}%`).join(', '),
    pids: top.map((p) => p.pid),
  };
};

const one = (value: number | undefined | null, extra?: Partial<Subject>): Subject[] | null =>
  value === undefined || value === null || Number.isNaN(value) ? null : [{ key: '', value, ...extra }];

export interface SelectorOptions {
  /** disk_usage: only these mount points (all real mounts when empty) */
  paths?: string[];
  /** custom: the custom_metrics key */
  metric?: string;
}

/** The monitor types that have a collector now; the others are `placeholderTypes`. */
export const selectorFor = (type: string, options: SelectorOptions = {}): SubjectSelector | null => {
  switch (type) {
    case 'cpu_usage':
      return (m) => one(m.cpu?.usagePercent, topProcesses(m));
    case 'memory_usage':
      return (m) => {
        if (!m.memory) return null;
        const top = m.processes?.topByMemory.slice(0, 3) ?? [];
        return one(m.memory.usagePercent, {
          details: top.length ? 'top: ' + top.map((p) => `${p.name} (pid ${p.pid}) ${(p.rssBytes / 1048576).toFixed(0)} MB`).join(', ') : undefined,
          pids: top.map((p) => p.pid),
        });
      };
    case 'swap_usage':
      return (m) => (m.memory && m.memory.swapTotalBytes > 0 ? one(m.memory.swapUsagePercent) : m.memory ? [] : null);
    case 'disk_usage': {
      const wanted = options.paths && options.paths.length > 0 ? new Set(options.paths) : null;
      return (m) =>
        m.disk
          ? m.disk.mounts
              .filter((mt) => !wanted || wanted.has(mt.mountPoint))
              .map((mt) => ({
                key: mt.mountPoint,
                value: mt.usagePercent,
                details: `${mt.mountPoint} (${mt.device}) ${(mt.availableBytes / 1073741824).toFixed(1)} GB free`,
              }))
          : null;
    }
    case 'disk_io':
      return (m) => {
        if (!m.diskIo) return null;
        const busiest = [...m.diskIo.devices].sort((a, b) => b.utilizationPercent - a.utilizationPercent)[0];
        return one(m.diskIo.maxUtilizationPercent, busiest ? { details: `busiest: ${busiest.device}` } : undefined);
      };
    case 'connection_rate':
      return (m) => {
        if (!m.network) return null;
        const top = Object.entries(m.network.establishedPerRemoteIp)
          .sort((a, b) => b[1] - a[1])
          .slice(0, 5);
        return one(m.network.newConnectionsPerSec, {
          details: top.length ? 'top peers: ' + top.map(([ip, n]) => `${ip} (${n})`).join(', ') : undefined,
        });
      };
    case 'process_count':
      return (m) => one(m.processes?.count);
    case 'load_average':
      return (m) => one(m.load?.load1, topProcesses(m));
    case 'custom': {
      const metric = options.metric;
      return (m) => (metric && metric in m.custom ? one(m.custom[metric]) : null);
    }
    default:
      return null;
  }
};

/** Monitor types that are event-driven or arrive with their own issue. */
export const eventDrivenTypes = new Set(['auth_failures', 'file_monitor']);

/** Units for messages: "CPU 97.3% > 80%". */
export const unitFor = (type: string): string => {
  switch (type) {
    case 'cpu_usage':
    case 'memory_usage':
    case 'swap_usage':
    case 'disk_usage':
    case 'disk_io':
      return '%';
    case 'connection_rate':
      return ' conn/s';
    case 'auth_failures':
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
    file_monitor: 'file events',
    custom: 'value',
  })[type] ?? type;
