/**
 * The process anomaly monitor types — what each compares with its threshold:
 *
 * - `zombie_processes`: how many processes are zombies (state Z); the incident names
 *   the parents that do not reap them (acting on a parent — kill, restart — is what
 *   clears its zombies; a zombie itself cannot be killed).
 * - `memory_leak`: per process, its RSS growth in MB/min, counted only while the RSS
 *   rose at each of its last `samples` reads (`trend`); 0 otherwise. It follows the
 *   processes the table's top lists name (10 by memory and 10 by CPU by default): a
 *   leak that matters grows into them.
 * - `process_cpu_spike`: per process, its CPU % when above `multiplier` × the moving
 *   average of its own last `samples` reads (`spike`); 0 otherwise. The threshold is the
 *   floor: a jump from 2 % to 7 % is no incident.
 * - `process_growth`: processes started per second, for the host (`process_count`'s
 *   count) and for each of the largest process trees (`growthRate`): a fork bomb. A
 *   tree first listed at this read has no rate yet, so a bomb born between two reads
 *   shows on the host's count first.
 *
 * The stateful three take their subjects from the process table's reads, not from the
 * snapshots: the table is read every 15 s by default while snapshots come every
 * check_interval, and a repeated read is not a new sample (an RSS that "stayed flat"
 * for three snapshots of one read would never look like a leak). Each read is timed at
 * the moment it was made (the snapshot's time less the field's age).
 */
import { connect, distinctUntilChanged, filter, map, startWith, withLatestFrom, type OperatorFunction } from 'rxjs';
import type { MetricKey, Metrics, ProcessInfo, ProcessSample } from '../model/metrics.js';
import type { Subject, SubjectDetails, SubjectMeasure } from './subject.js';
import { trend } from '../../streams/trend.js';
import { spike } from '../../streams/spike.js';
import { growthRate } from '../../streams/growthRate.js';

/** Defaults from the self-healing seed's ANOMALY_CONFIG. */
export const MEMORY_LEAK_SAMPLES = 5;
export const CPU_SPIKE_SAMPLES = 5;
export const CPU_SPIKE_MULTIPLIER = 3;

export interface ProcessAnomalyOptions {
  /** memory_leak: reads the RSS must rise at; process_cpu_spike: reads in the moving average (with this one) */
  samples?: number;
  /** process_cpu_spike: how many times its own average */
  multiplier?: number;
}

/** One entry of one read of the process table, with when the read was made. */
interface Read<T> {
  item: T;
  at: number;
}

const MB = 1048576;
const who = (p: ProcessInfo): string => `${p.name} (pid ${p.pid})`;

/**
 * A measure over the process table's reads: `toSubjects` sees each new read once (its
 * entries, timed), and every snapshot carries the subjects of the latest read — none
 * (null) while the processes field is degraded.
 */
const perRead =
  <T>(entriesOf: (p: ProcessSample) => readonly T[] | null, toSubjects: OperatorFunction<readonly Read<T>[], Subject[]>): SubjectMeasure =>
  (metrics$) =>
    metrics$.pipe(
      connect((shared$) => {
        const subjects$ = shared$.pipe(
          filter((m) => m.processes !== null),
          distinctUntilChanged((a, b) => a.processes === b.processes),
          map((m) => {
            const at = m.ts - (m.ages?.processes ?? 0);
            return entriesOf(m.processes!)?.map((item) => ({ item, at })) ?? null;
          }),
          // a hand-built sample without the entries (no trees) gives no subjects
          filter((reads): reads is Read<T>[] => reads !== null),
          toSubjects,
        );
        // subscribed before the snapshots themselves: each snapshot sees its own read's subjects
        return shared$.pipe(
          withLatestFrom(subjects$.pipe(startWith(null))),
          map(([m, subjects]) => ({ m, subjects: m.processes === null ? null : subjects })),
        );
      }),
    );

/** The processes a read names (top by memory and by CPU), each once. */
const tracked = (p: ProcessSample): ProcessInfo[] => {
  const seen = new Map<number, ProcessInfo>();
  for (const x of [...p.topByMemory, ...p.topByCpu]) if (!seen.has(x.pid)) seen.set(x.pid, x);
  return [...seen.values()];
};

const memoryLeak = (samples: number): SubjectMeasure =>
  perRead(
    tracked,
    (reads$) =>
      reads$.pipe(
        trend({ samples, keyOf: (r: Read<ProcessInfo>) => `${r.item.pid}`, valueOf: (r) => r.item.rssBytes, timeOf: (r) => r.at }),
        map((trends) =>
          trends.map(({ value: { item: p }, rising, slopePerSec }): Subject => {
            const perMin = rising && slopePerSec !== null ? (slopePerSec * 60) / MB : 0;
            return {
              key: who(p),
              value: perMin,
              details: { details: `${who(p)} RSS ${(p.rssBytes / MB).toFixed(0)} MB, up at each of its last ${samples} reads, +${perMin.toFixed(1)} MB/min`, pids: [p.pid] },
            };
          }),
        ),
      ),
  );

const cpuSpike = (samples: number, multiplier: number): SubjectMeasure =>
  perRead(
    (p) => p.topByCpu,
    (reads$) =>
      reads$.pipe(
        spike({ samples, multiplier, keyOf: (r: Read<ProcessInfo>) => `${r.item.pid}`, valueOf: (r) => r.item.cpuPercent }),
        map((spikes) =>
          spikes.map(({ value: { item: p }, average, spiking }): Subject => ({
            key: who(p),
            value: spiking ? p.cpuPercent : 0,
            details: {
              details: `${who(p)} CPU ${p.cpuPercent.toFixed(0)}%, ${average === null ? 'no average yet' : `its average ${average.toFixed(0)}%`} (spike: over ${multiplier}× it)`,
              pids: [p.pid],
            },
          })),
        ),
      ),
  );

interface Counted {
  key: string;
  count: number;
  details: SubjectDetails;
}

const processGrowth = (): SubjectMeasure =>
  perRead(
    (p): Counted[] | null => {
      if (p.trees === undefined) return null;
      const largest = p.trees[0];
      return [
        {
          key: '',
          count: p.count,
          details: largest ? { details: `${p.count} processes; largest tree: ${largest.name} (pid ${largest.pid}) with ${largest.descendants}`, pids: [largest.pid] } : { details: `${p.count} processes` },
        },
        ...p.trees.map((t) => ({
          key: `tree ${t.name} (pid ${t.pid})`,
          count: t.descendants,
          details: { details: `${t.name} (pid ${t.pid}) has ${t.descendants} descendants`, pids: [t.pid] },
        })),
      ];
    },
    (reads$) =>
      reads$.pipe(
        growthRate({ keyOf: (r: Read<Counted>) => r.item.key, countOf: (r) => r.item.count, timeOf: (r) => r.at }),
        map((growths) => growths.map(({ key, value, perSecond }): Subject => ({ key, value: perSecond ?? 0, details: value.item.details }))),
      ),
  );

/** zombie_processes: the host's zombie count; the details name their parents. */
const zombies = (m: Metrics): Subject[] | null => {
  const p = m.processes;
  if (!p || p.zombieCount === undefined || p.zombieParents === undefined) return null;
  const details: SubjectDetails = {
    details: p.zombieParents.length === 0 ? '' : 'not reaped by: ' + p.zombieParents.slice(0, 10).map((z) => `${z.name || '?'} (pid ${z.pid}) ${z.zombies}`).join(', '),
    // the parents: acting on them is what clears their zombies (never init: it is PanicMode's to spare, and reaps on its own)
    pids: p.zombieParents.map((z) => z.pid).filter((pid) => pid > 1),
  };
  return [{ key: '', value: p.zombieCount, details }];
};

/** The process anomaly types' measures; null for other types. */
export const processAnomalyMeasure = (
  type: string,
  options: ProcessAnomalyOptions = {},
): (({ select: (m: Metrics) => Subject[] | null } | { measure: SubjectMeasure }) & { windowOf?: MetricKey }) | null => {
  switch (type) {
    case 'zombie_processes':
      return { select: zombies };
    case 'memory_leak':
      return { measure: memoryLeak(options.samples ?? MEMORY_LEAK_SAMPLES) };
    // a process's CPU % and a growth rate are deltas between two reads of the table: averages over that window
    case 'process_cpu_spike':
      return { measure: cpuSpike(options.samples ?? CPU_SPIKE_SAMPLES, options.multiplier ?? CPU_SPIKE_MULTIPLIER), windowOf: 'processes' };
    case 'process_growth':
      return { measure: processGrowth(), windowOf: 'processes' };
    default:
      return null;
  }
};
