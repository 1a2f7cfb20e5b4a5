/**
 * Metric paths of a rule test (`cpu.usagePercent`, `disk.mounts[/].usagePercent`) →
 * writers into a Metrics snapshot. A path names a numeric field of the snapshot as
 * the collectors fill it (src/model/metrics.ts); list entries are picked by a
 * selector (`disk.mounts[/home]` by mount point, `diskIo.devices[sda]` by device),
 * maps by key (`network.establishedPerRemoteIp[203.0.113.7]`, `custom.queue_depth`).
 * A section no series names stays `null`, as for a collector that is absent, so rules
 * over it neither fire nor resolve; a tick where one of its series has no sample (`_`)
 * leaves the section null that tick too (a degraded collector).
 */
import type { DeviceIo, MetricKey, Metrics, MountUsage } from '../model/metrics.js';

/** A collector's field of the snapshot, or the custom metrics (ages and windows are the metrics stream's, not metrics a test writes). */
type Section = MetricKey | 'custom';

/** What a section holds before a series writes into it: a quiet, healthy host. */
const blank: { [K in Section]-?: () => NonNullable<Metrics[K]> } = {
  cpu: () => ({ usagePercent: 0, perCore: [], iowaitPercent: 0, stealPercent: 0 }),
  memory: () => ({ totalBytes: 8 * 2 ** 30, availableBytes: 8 * 2 ** 30, usedBytes: 0, usagePercent: 0, swapTotalBytes: 0, swapUsedBytes: 0, swapUsagePercent: 0 }),
  load: () => ({ load1: 0, load5: 0, load15: 0, runningTasks: 1, totalTasks: 100 }),
  pressure: () => ({
    cpuSomeAvg10: 0, cpuSomeAvg60: 0, cpuFullAvg10: 0, cpuFullAvg60: 0, memorySomeAvg10: 0, memorySomeAvg60: 0, memoryFullAvg10: 0, memoryFullAvg60: 0,
    ioSomeAvg10: 0, ioSomeAvg60: 0, ioFullAvg10: 0, ioFullAvg60: 0,
  }),
  disk: () => ({ mounts: [] }),
  diskIo: () => ({ devices: [], maxUtilizationPercent: 0 }),
  network: () => ({ connectionsByState: {}, totalConnections: 0, establishedPerRemoteIp: {}, newConnectionsPerSec: 0, rxBytesPerSec: 0, txBytesPerSec: 0 }),
  processes: () => ({ count: 0, topByCpu: [], topByMemory: [] }),
  self: () => ({ cpuPercent: 0, rssBytes: 0, rssBaselineBytes: 0, openFds: 0, fdLimit: 1024, eventLoopLagMs: 0 }),
  custom: () => ({}),
};

/** The snapshot's collector fields (every section but the custom metrics). */
export const COLLECTOR_SECTIONS = (Object.keys(blank) as Section[]).filter((s): s is MetricKey => s !== 'custom');

const blankMount = (mountPoint: string): MountUsage => ({
  mountPoint,
  device: `/dev/test${mountPoint === '/' ? '' : mountPoint.replaceAll('/', '-')}`,
  fsType: 'ext4',
  totalBytes: 100 * 2 ** 30,
  usedBytes: 0,
  availableBytes: 100 * 2 ** 30,
  usagePercent: 0,
});

const blankDevice = (device: string): DeviceIo => ({ device, readBytesPerSec: 0, writeBytesPerSec: 0, readIops: 0, writeIops: 0, utilizationPercent: 0 });

/** A parsed path: which section it writes, and how. */
export interface MetricPath {
  path: string;
  section: Section;
  write(m: Metrics, value: number): void;
}

const numericKeys = (o: object): string[] => Object.entries(o).filter(([, v]) => typeof v === 'number').map(([k]) => k);

const selector = /^([A-Za-z]+)\.([A-Za-z]+)\[([^\]]+)\](?:\.([A-Za-z]+))?$/;
const plain = /^([A-Za-z]+)\.([A-Za-z0-9_.:-]+)$/;

/** Parses a path, or says why it names no field of the snapshot. */
export const parseMetricPath = (path: string): MetricPath | string => {
  const sel = selector.exec(path);
  if (sel) {
    const [, sectionName, list, key, field] = sel as unknown as [string, string, string, string, string | undefined];
    if (sectionName === 'disk' && list === 'mounts') {
      const fields = numericKeys(blankMount('/'));
      if (!field || !fields.includes(field)) return `disk.mounts[${key}] has no field ${field ?? '(none given)'} (one of ${fields.join(', ')})`;
      return {
        path,
        section: 'disk',
        write: (m, v) => {
          const mounts = m.disk!.mounts;
          let mt = mounts.find((x) => x.mountPoint === key);
          if (!mt) mounts.push((mt = blankMount(key)));
          (mt as unknown as Record<string, number>)[field] = v;
          if (field === 'usagePercent') {
            mt.usedBytes = Math.round((mt.totalBytes * v) / 100);
            mt.availableBytes = mt.totalBytes - mt.usedBytes;
          }
        },
      };
    }
    if (sectionName === 'diskIo' && list === 'devices') {
      const fields = numericKeys(blankDevice('sda'));
      if (!field || !fields.includes(field)) return `diskIo.devices[${key}] has no field ${field ?? '(none given)'} (one of ${fields.join(', ')})`;
      return {
        path,
        section: 'diskIo',
        write: (m, v) => {
          const io = m.diskIo!;
          let d = io.devices.find((x) => x.device === key);
          if (!d) io.devices.push((d = blankDevice(key)));
          (d as unknown as Record<string, number>)[field] = v;
          io.maxUtilizationPercent = Math.max(...io.devices.map((x) => x.utilizationPercent));
        },
      };
    }
    if (sectionName === 'network' && (list === 'establishedPerRemoteIp' || list === 'connectionsByState') && !field) {
      return { path, section: 'network', write: (m, v) => void ((m.network![list] as Record<string, number>)[key] = v) };
    }
    return `${sectionName}.${list}[…] is not a list or map of the snapshot (disk.mounts[MOUNT].FIELD, diskIo.devices[DEVICE].FIELD, network.establishedPerRemoteIp[ADDRESS], network.connectionsByState[STATE])`;
  }
  const p = plain.exec(path);
  const sections = Object.keys(blank);
  if (!p) return `not a metric path (expected SECTION.FIELD, e.g. cpu.usagePercent; sections: ${sections.join(', ')})`;
  const [, sectionName, field] = p as unknown as [string, string, string];
  if (!(sectionName in blank)) return `no section ${sectionName} in the snapshot (one of ${sections.join(', ')})`;
  const section = sectionName as Section;
  if (section === 'custom') return { path, section, write: (m, v) => void (m.custom[field] = v) };
  const fields = numericKeys(blank[section]());
  if (!fields.includes(field)) return `${section} has no numeric field ${field} (one of ${fields.join(', ')})`;
  return {
    path,
    section,
    write: (m, v) => {
      const s = m[section] as unknown as Record<string, number>;
      s[field] = v;
      // keep the fields rules derive from one another consistent
      if (section === 'memory') {
        const mem = m.memory!;
        if (field === 'swapUsagePercent' && mem.swapTotalBytes === 0) mem.swapTotalBytes = 2 * 2 ** 30;
        if (field === 'swapUsagePercent') mem.swapUsedBytes = Math.round((mem.swapTotalBytes * v) / 100);
        if (field === 'usagePercent') {
          mem.usedBytes = Math.round((mem.totalBytes * v) / 100);
          mem.availableBytes = mem.totalBytes - mem.usedBytes;
        }
      }
    },
  };
};

/** One tick's snapshot from the values of every series at that tick (`null`: no sample). */
export const buildSnapshot = (ts: number, inputs: readonly { path: MetricPath; value: number | null }[]): Metrics => {
  const m: Metrics = { ts, cpu: null, memory: null, load: null, pressure: null, disk: null, diskIo: null, network: null, processes: null, self: null, custom: {}, degraded: {} };
  const missing = new Set<Section>();
  for (const { path, value } of inputs) if (value === null) missing.add(path.section);
  // swap totals first, so a swapUsagePercent written after them uses the given total
  const ordered = [...inputs].sort((a, b) => Number(b.path.path.endsWith('Bytes')) - Number(a.path.path.endsWith('Bytes')));
  for (const { path, value } of ordered) {
    if (value === null || missing.has(path.section)) continue;
    if (path.section !== 'custom' && m[path.section] === null) (m as unknown as Record<string, unknown>)[path.section] = blank[path.section]();
    path.write(m, value);
  }
  for (const s of missing) if (s !== 'custom') m.degraded[s] = 'no sample in the test series';
  return m;
};
