/**
 * Every periodic collector, registered once with its name under `collectors:`, whether it
 * runs by default, its default cadence and its factory (node_exporter's registry):
 * enabling, disabling or slowing one down is data.
 */
import type { AnyCollector } from './collector.js';
import { createCpuCollector } from './cpu.js';
import { createMemoryCollector } from './memory.js';
import { createLoadCollector } from './load.js';
import { createPressureCollector } from './pressure.js';
import { createDiskUsageCollector } from './disk-usage.js';
import { createDiskIoCollector } from './disk-io.js';
import { createNetworkCollector } from './network.js';
import { createProcessesCollector } from './processes.js';
import { createSelfCollector } from './self.js';

/** One entry of `collectors:` (decoded: durations in ms). Absent interval: the collector's default. */
export interface CollectorSettings {
  enabled?: boolean;
  interval?: number;
}

/** What factories may be given. */
export interface CollectorFactoryOptions {
  /** length of the processes collector's top lists (default 10) */
  topProcesses?: number;
  /** ms between two reads (its `interval` under `collectors:`); undefined: the default */
  intervalMs?: number;
  /** the network collector's part: ms between two reads of the socket tables (`collectors.sockets.interval`) */
  socketsIntervalMs?: number;
}

export interface CollectorRegistration {
  /** its key under `collectors:` */
  name: string;
  enabledByDefault: boolean;
  /** one line, for `--help`-like listings and the docs */
  description: string;
  create(options: CollectorFactoryOptions): AnyCollector;
}

/** The registry, in the order collectors appear in a Metrics snapshot. */
export const collectorRegistry: readonly CollectorRegistration[] = [
  { name: 'cpu', enabledByDefault: true, description: 'CPU busy/iowait/steal % from <proc>/stat', create: (o) => ({ ...createCpuCollector(), intervalMs: o.intervalMs }) },
  { name: 'memory', enabledByDefault: true, description: 'memory and swap from <proc>/meminfo', create: (o) => ({ ...createMemoryCollector(), intervalMs: o.intervalMs }) },
  { name: 'load', enabledByDefault: true, description: 'load averages from <proc>/loadavg', create: (o) => ({ ...createLoadCollector(), intervalMs: o.intervalMs }) },
  {
    name: 'pressure',
    enabledByDefault: true,
    description: 'PSI stall shares (some/full avg10, avg60) from <proc>/pressure/{cpu,memory,io}',
    create: (o) => ({ ...createPressureCollector(), intervalMs: o.intervalMs }),
  },
  {
    name: 'disk',
    enabledByDefault: true,
    description: 'filesystem usage of real mounts (statfs)',
    create: (o) => createDiskUsageCollector({ intervalMs: o.intervalMs }),
  },
  {
    name: 'disk_io',
    enabledByDefault: true,
    description: 'disk throughput, IOPS, utilisation from <proc>/diskstats',
    create: (o) => ({ ...createDiskIoCollector(), intervalMs: o.intervalMs }),
  },
  {
    name: 'network',
    enabledByDefault: true,
    description: 'new conn/s, total connections, rx/tx from <proc>/net/snmp, sockstat, dev',
    create: (o) => createNetworkCollector({ intervalMs: o.intervalMs, socketsIntervalMs: o.socketsIntervalMs }),
  },
  {
    name: 'processes',
    enabledByDefault: true,
    description: 'process count, top processes by CPU and memory',
    create: (o) => createProcessesCollector({ top: o.topProcesses, intervalMs: o.intervalMs }),
  },
  { name: 'self', enabledByDefault: true, description: "PanicMode's own CPU, RSS, fds, event-loop lag", create: (o) => ({ ...createSelfCollector(), intervalMs: o.intervalMs }) },
];

/**
 * The parts a collector reads on their own cadence, also keys under `collectors:` (only
 * `interval`: a part runs when its collector does).
 */
export const collectorParts = [
  { name: 'sockets', of: 'network', description: 'TCP socket tables <proc>/net/tcp{,6}: connections by state and per remote IP' },
] as const;

/** Every key `collectors:` accepts. */
export const collectorNames: readonly string[] = [...collectorRegistry.map((r) => r.name), ...collectorParts.map((p) => p.name)];

/**
 * Builds the enabled collectors from `collectors:` (`{ self: { enabled: false }, disk: { interval: 300000 } }`):
 * the defaults, overridden per key. Unknown keys are refused by the config schema.
 */
export const createCollectors = (
  settings: Readonly<Record<string, CollectorSettings | undefined>> = {},
  options: Pick<CollectorFactoryOptions, 'topProcesses'> = {},
): AnyCollector[] =>
  collectorRegistry
    .filter((r) => settings[r.name]?.enabled ?? r.enabledByDefault)
    .map((r) => r.create({ ...options, intervalMs: settings[r.name]?.interval, socketsIntervalMs: settings.sockets?.interval }));
