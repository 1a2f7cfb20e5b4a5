/**
 * PSI, pressure stall information, from `<procroot>/pressure/{cpu,memory,io}` (Linux
 * 4.20+ with CONFIG_PSI): the share of time in which tasks waited for CPU, memory or
 * I/O. It says what usage figures cannot — a host at 95 % memory that reclaims page
 * cache easily shows ~0 memory pressure; one thrashing towards the OOM killer shows
 * `full` climbing long before swap is gone. systemd-oomd acts on the same files.
 *
 *   some avg10=2.11 avg60=2.63 avg300=5.60 total=3418630036
 *   full avg10=0.00 avg60=0.00 avg300=0.00 total=0
 *
 * A kernel without PSI (or booted with psi=0) has no `pressure` directory: "no data
 * here", warned once by the metrics stream, and the pressure rules stay quiet.
 */
import type { Host } from '../host/host.js';
import type { PressureSample } from '../model/metrics.js';
import { CollectorError } from '../errors.js';
import type { PeriodicCollector } from './collector.js';

export interface PsiLine {
  avg10: number;
  avg60: number;
}

export interface PsiFile {
  some: PsiLine;
  /** absent from `cpu` before Linux 5.13 */
  full: PsiLine | null;
}

const lineOf = /^(some|full)\s+avg10=(\d+(?:\.\d+)?)\s+avg60=(\d+(?:\.\d+)?)\s/;

/** Pure: one pressure file → its lines. Throws a CollectorError naming the file when there is no `some` line. */
export const parsePsi = (resource: string, text: string): PsiFile => {
  let some: PsiLine | null = null;
  let full: PsiLine | null = null;
  for (const line of text.split('\n')) {
    const m = lineOf.exec(line);
    if (!m) continue;
    const v = { avg10: Number(m[2]), avg60: Number(m[3]) };
    if (m[1] === 'some') some = v;
    else full = v;
  }
  if (!some) throw new CollectorError('pressure', `pressure/${resource}: expected a "some avg10=N avg60=N ..." line, got "${text.trim().slice(0, 80)}"`);
  return { some, full };
};

/** Pure: the three files → the sample (NaN where a line is absent). */
export const pressureSampleFrom = (cpu: PsiFile, memory: PsiFile, io: PsiFile): PressureSample => ({
  cpuSomeAvg10: cpu.some.avg10,
  cpuSomeAvg60: cpu.some.avg60,
  cpuFullAvg10: cpu.full?.avg10 ?? NaN,
  cpuFullAvg60: cpu.full?.avg60 ?? NaN,
  memorySomeAvg10: memory.some.avg10,
  memorySomeAvg60: memory.some.avg60,
  memoryFullAvg10: memory.full?.avg10 ?? NaN,
  memoryFullAvg60: memory.full?.avg60 ?? NaN,
  ioSomeAvg10: io.some.avg10,
  ioSomeAvg60: io.some.avg60,
  ioFullAvg10: io.full?.avg10 ?? NaN,
  ioFullAvg60: io.full?.avg60 ?? NaN,
});

const readPsi = (host: Host, resource: 'cpu' | 'memory' | 'io'): PsiFile => parsePsi(resource, host.readProcSync('pressure', resource));

/** The pressure collector: three small reads, every check_interval (the kernel's averages are the smoothing). */
export const createPressureCollector = (): PeriodicCollector<'pressure', PressureSample> => ({
  name: 'pressure',
  read: async (host: Host) => pressureSampleFrom(readPsi(host, 'cpu'), readPsi(host, 'memory'), readPsi(host, 'io')),
  derive: (_prev, cur) => cur,
});
