/**
 * The Metrics snapshot: one value per `check_interval`, the latest sample of every
 * collector (each read on its own cadence), with each field's age. A collector that
 * failed, has no data on this host, or whose latest sample is older than it should be
 * (stale) leaves its field `null` and names itself in `degraded`, so rules over that
 * field neither fire nor resolve on old data while every other rule goes on.
 */

export interface CpuSample {
  /** Busy share of all cores, 0–100, from /proc/stat deltas between two ticks. */
  usagePercent: number;
  perCore: number[];
  iowaitPercent: number;
  stealPercent: number;
}

export interface MemorySample {
  totalBytes: number;
  availableBytes: number;
  /** total − MemAvailable */
  usedBytes: number;
  usagePercent: number;
  swapTotalBytes: number;
  swapUsedBytes: number;
  /** 0 when the host has no swap. */
  swapUsagePercent: number;
}

export interface LoadSample {
  load1: number;
  load5: number;
  load15: number;
  runningTasks: number;
  totalTasks: number;
}

export interface MountUsage {
  mountPoint: string;
  device: string;
  fsType: string;
  totalBytes: number;
  usedBytes: number;
  availableBytes: number;
  usagePercent: number;
}

export interface DiskUsageSample {
  mounts: MountUsage[];
}

export interface DeviceIo {
  device: string;
  readBytesPerSec: number;
  writeBytesPerSec: number;
  readIops: number;
  writeIops: number;
  /** Share of wall time the device had I/O in flight, 0–100. */
  utilizationPercent: number;
}

export interface DiskIoSample {
  devices: DeviceIo[];
  /** The busiest device's utilisation, what a `disk_io` rule compares. */
  maxUtilizationPercent: number;
}

export interface NetworkSample {
  /** TCP connections by state name (ESTABLISHED, TIME_WAIT, LISTEN, ...), v4 + v6, from the last socket-table read (at most 15 s old). */
  connectionsByState: Record<string, number>;
  /** All TCP sockets except LISTEN (from sockstat each tick; LISTEN and SYN_RECV as of the last socket-table read). */
  totalConnections: number;
  /** Established connections per remote address (v4 dotted, v6 compressed), from the last socket-table read (at most 15 s old). */
  establishedPerRemoteIp: Record<string, number>;
  /** TCP connections opened per second (Δ snmp ActiveOpens+PassiveOpens; without net/snmp: 4-tuples not seen in the previous tick). 0 on the first tick. */
  newConnectionsPerSec: number;
  rxBytesPerSec: number;
  txBytesPerSec: number;
}

export interface ProcessInfo {
  pid: number;
  ppid: number;
  name: string;
  uid: number;
  state: string;
  /** Share of one core over the last tick (can exceed 100 on multi-threaded processes). */
  cpuPercent: number;
  rssBytes: number;
}

/** A parent with zombie children (exited, not reaped): acting on it is what clears them. */
export interface ZombieParent {
  pid: number;
  /** its name ('' when it was not in the table) */
  name: string;
  /** how many of its children are zombies */
  zombies: number;
}

/** One process tree: a process and how many descendants it has (itself not counted). */
export interface ProcessTree {
  pid: number;
  name: string;
  descendants: number;
}

export interface ProcessSample {
  count: number;
  topByCpu: ProcessInfo[];
  topByMemory: ProcessInfo[];
  /** processes in state Z; absent on hand-built samples */
  zombieCount?: number;
  /** the parents of those zombies, most zombies first, at most LISTED_ZOMBIE_PARENTS (process-tree-facts.ts) */
  zombieParents?: ZombieParent[];
  /**
   * Process trees, each at the deepest process that holds most of its tree (not its
   * parent shell, not init): the largest, then those that grew the most since the read
   * before — where a fork bomb grows. Absent on hand-built samples.
   */
  trees?: ProcessTree[];
}

/**
 * PSI (pressure stall information, `<proc>/pressure/{cpu,memory,io}`): the share of
 * wall time in which some (or all, `full`) runnable tasks were stalled waiting for the
 * resource, averaged over 10 s and 60 s, 0–100. NaN for a line the kernel does not
 * write (`cpu full` before Linux 5.13).
 */
export interface PressureSample {
  cpuSomeAvg10: number;
  cpuSomeAvg60: number;
  cpuFullAvg10: number;
  cpuFullAvg60: number;
  memorySomeAvg10: number;
  memorySomeAvg60: number;
  memoryFullAvg10: number;
  memoryFullAvg60: number;
  ioSomeAvg10: number;
  ioSomeAvg60: number;
  ioFullAvg10: number;
  ioFullAvg60: number;
}

export interface SelfSample {
  cpuPercent: number;
  rssBytes: number;
  /** RSS when this process first measured itself (the start-up footprint) */
  rssBaselineBytes: number;
  /** -1 when unknown */
  openFds: number;
  /** soft limit on open files; -1 when unknown, Infinity when unlimited */
  fdLimit: number;
  eventLoopLagMs: number;
}

export interface Metrics {
  /** unix ms of the tick */
  ts: number;
  cpu: CpuSample | null;
  memory: MemorySample | null;
  load: LoadSample | null;
  pressure: PressureSample | null;
  disk: DiskUsageSample | null;
  diskIo: DiskIoSample | null;
  network: NetworkSample | null;
  processes: ProcessSample | null;
  self: SelfSample | null;
  /** Custom command metrics by name (custom_metrics:), when present. */
  custom: Record<string, number>;
  /**
   * Collector name (or `custom.<metric>`) → why its field is null or absent this tick:
   * `no data: …`, `timeout: …`, an error, or `stale: …` (its latest sample is older than
   * twice its interval plus one check_interval).
   */
  degraded: Record<string, string>;
  /**
   * Collector name (or `custom.<metric>`) → ms between the read behind the field and this
   * snapshot. Set by the metrics stream; absent on snapshots built by hand (test series).
   */
  ages?: Record<string, number>;
  /**
   * Collector name → ms between the read behind the field and the successful read before
   * it: the window that the field's shares and rates (CPU %, I/O and network rates, a
   * process's CPU %) average over, being counter deltas between those two reads. Set by
   * the metrics stream from a collector's second read on; a rule test stamps it too
   * (src/testing/fixture-windows.ts).
   */
  windows?: Record<string, number>;
}

export type MetricKey = Exclude<keyof Metrics, 'ts' | 'degraded' | 'custom' | 'ages' | 'windows'>;

/**
 * When the window a field's shares and rates average over began, on the snapshot's
 * clock: the read before the one behind the field. Without a window (an instantaneous
 * value's first read, a snapshot built by hand) the read itself, or the snapshot's time.
 */
export const windowStartOf = (m: Metrics, key: MetricKey): number => m.ts - (m.ages?.[key] ?? 0) - (m.windows?.[key] ?? 0);

export const emptyMetrics = (ts: number): Metrics => ({
  ts,
  cpu: null,
  memory: null,
  load: null,
  pressure: null,
  disk: null,
  diskIo: null,
  network: null,
  processes: null,
  self: null,
  custom: {},
  degraded: {},
});
