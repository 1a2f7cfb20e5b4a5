/**
 * Disk I/O from `<procroot>/diskstats`: bytes/s, IOPS and utilisation per whole disk,
 * from the delta between two readings (the first tick is a baseline → null).
 *
 * Which devices (decision): whole disks and virtual block devices (sda, vda, nvme0n1,
 * md0, dm-0); not loop and ram devices (images and RAM disks, not disks anyone runs
 * out of), and not partitions whose disk is listed: the disk's utilisation already
 * covers them, and counting both would double the I/O.
 */
import type { Host } from '../host/host.js';
import type { DeviceIo, DiskIoSample } from '../model/metrics.js';
import type { PeriodicCollector } from './collector.js';
import { counterDelta } from './collector.js';

/** The kernel's diskstats sector is always 512 bytes, whatever the device's block size. */
const SECTOR_BYTES = 512;

export interface DiskCounters {
  device: string;
  readsCompleted: number;
  sectorsRead: number;
  writesCompleted: number;
  sectorsWritten: number;
  /** ms the device had I/O in flight (field 10, io_ticks) */
  ioTicksMs: number;
}

/** Pure: parses every diskstats line (14+ fields); malformed lines are skipped. */
export const parseDiskstats = (text: string): DiskCounters[] => {
  const out: DiskCounters[] = [];
  for (const line of text.split('\n')) {
    const p = line.trim().split(/\s+/);
    if (p.length < 14) continue;
    const n = (i: number) => Number(p[i]);
    const c: DiskCounters = {
      device: p[2],
      readsCompleted: n(3),
      sectorsRead: n(5),
      writesCompleted: n(7),
      sectorsWritten: n(9),
      ioTicksMs: n(12),
    };
    if ([c.readsCompleted, c.sectorsRead, c.writesCompleted, c.sectorsWritten, c.ioTicksMs].every(Number.isFinite)) {
      out.push(c);
    }
  }
  return out;
};

/** The disk a partition name belongs to, if `name` looks like one: sda1 → sda, nvme0n1p2 → nvme0n1. */
const parentCandidates = (name: string): string[] => {
  const out: string[] = [];
  const p = /^(.*\d)p\d+$/.exec(name); // nvme0n1p1, mmcblk0p1, loop0p1
  if (p) out.push(p[1]);
  const d = /^(.*[a-z])\d+$/.exec(name); // sda1, vda2, xvda1
  if (d) out.push(d[1]);
  return out;
};

/** Pure: whole disks only (see the file comment). */
export const selectDisks = (counters: DiskCounters[]): DiskCounters[] => {
  const names = new Set(counters.map((c) => c.device));
  return counters.filter(
    (c) => !/^(loop|ram)\d+/.test(c.device) && !parentCandidates(c.device).some((parent) => names.has(parent)),
  );
};

/** Pure: rates between two readings; null on the first reading or when no time passed. */
export const deriveDiskIo = (
  prev: DiskCounters[] | undefined,
  cur: DiskCounters[],
  elapsedMs: number,
): DiskIoSample | null => {
  if (!prev || elapsedMs <= 0) return null;
  const before = new Map(prev.map((c) => [c.device, c]));
  const seconds = elapsedMs / 1000;
  const devices: DeviceIo[] = [];
  for (const c of cur) {
    const b = before.get(c.device);
    if (!b) continue; // a device that just appeared has no baseline yet
    const d = {
      reads: counterDelta(b.readsCompleted, c.readsCompleted),
      sr: counterDelta(b.sectorsRead, c.sectorsRead),
      writes: counterDelta(b.writesCompleted, c.writesCompleted),
      sw: counterDelta(b.sectorsWritten, c.sectorsWritten),
      ticks: counterDelta(b.ioTicksMs, c.ioTicksMs),
    };
    // A wrapped or reset counter (32-bit fields on old kernels, a re-attached device): skip this tick.
    if (d.reads === null || d.sr === null || d.writes === null || d.sw === null || d.ticks === null) continue;
    devices.push({
      device: c.device,
      readBytesPerSec: (d.sr * SECTOR_BYTES) / seconds,
      writeBytesPerSec: (d.sw * SECTOR_BYTES) / seconds,
      readIops: d.reads / seconds,
      writeIops: d.writes / seconds,
      // io_ticks advances in whole ms and the two reads are not atomic: clamp to 100.
      utilizationPercent: Math.min(100, (d.ticks / elapsedMs) * 100),
    });
  }
  return { devices, maxUtilizationPercent: devices.reduce((m, d) => Math.max(m, d.utilizationPercent), 0) };
};

/** Reads `<procroot>/diskstats`, whole disks only. */
export const readDiskCounters = async (host: Host): Promise<DiskCounters[]> =>
  selectDisks(parseDiskstats(host.readProcSync('diskstats')));

/** The diskIo collector. */
export const createDiskIoCollector = (): PeriodicCollector<'diskIo', DiskCounters[]> => ({
  name: 'diskIo',
  read: readDiskCounters,
  derive: deriveDiskIo,
});
