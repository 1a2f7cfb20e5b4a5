/**
 * Every periodic collector, registered once with its name, whether it runs by default
 * and its factory (node_exporter's registry): enabling or disabling one is data.
 */
import type { MetricKey } from '../model/metrics.js';
import type { AnyCollector } from './collector.js';
import { createCpuCollector } from './cpu.js';
import { createMemoryCollector } from './memory.js';
import { createLoadCollector } from './load.js';
import { createDiskUsageCollector } from './disk-usage.js';
import { createDiskIoCollector } from './disk-io.js';
import { createNetworkCollector } from './network.js';
import { createProcessesCollector } from './processes.js';
import { createSelfCollector } from './self.js';

/** What factories may be given. */
export interface CollectorFactoryOptions {
  /** length of the processes collector's top lists (default 10) */
  topProcesses?: number;
  /** ms between two reads of the TCP socket tables by the network collector (default 15 000, 0 = every tick) */
  networkTableIntervalMs?: number;
  /** ms between two reads of the process table (default 15 000, 0 = every tick) */
  processTableIntervalMs?: number;
}

export interface CollectorRegistration {
  name: MetricKey;
  enabledByDefault: boolean;
  /** one line, for `--help`-like listings */
  description: string;
  create(options: CollectorFactoryOptions): AnyCollector;
}

/** The registry, in the order collectors appear in a Metrics snapshot. */
export const collectorRegistry: readonly CollectorRegistration[] = [
  { name: 'cpu', enabledByDefault: true, description: 'CPU busy/iowait/steal % from <proc>/stat', create: () => createCpuCollector() },
  { name: 'memory', enabledByDefault: true, description: 'memory and swap from <proc>/meminfo', create: () => createMemoryCollector() },
  { name: 'load', enabledByDefault: true, description: 'load averages from <proc>/loadavg', create: () => createLoadCollector() },
  { name: 'disk', enabledByDefault: true, description: 'filesystem usage of real mounts (statfs)', create: () => createDiskUsageCollector() },
  { name: 'diskIo', enabledByDefault: true, description: 'disk throughput, IOPS, utilisation from <proc>/diskstats', create: () => createDiskIoCollector() },
  {
    name: 'network',
    enabledByDefault: true,
    description: 'TCP states, per-IP connections, new conn/s, rx/tx',
    create: (o) => createNetworkCollector({ tableIntervalMs: o.networkTableIntervalMs }),
  },
  {
    name: 'processes',
    enabledByDefault: true,
    description: 'process count, top processes by CPU and memory',
    create: (o) => createProcessesCollector({ top: o.topProcesses, tableIntervalMs: o.processTableIntervalMs }),
  },
  { name: 'self', enabledByDefault: true, description: "PanicMode's own CPU, RSS, fds, event-loop lag", create: () => createSelfCollector() },
];

/**
 * Builds the enabled collectors: the defaults, overridden by `enabled` (`{ self: false }`).
 * Unknown names in `enabled` are ignored here; config validation reports them.
 */
export const createCollectors = (
  enabled: Partial<Record<MetricKey, boolean>> = {},
  options: CollectorFactoryOptions = {},
): AnyCollector[] =>
  collectorRegistry.filter((r) => enabled[r.name] ?? r.enabledByDefault).map((r) => r.create(options));
