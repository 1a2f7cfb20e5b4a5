/**
 * A supervised service's per-process limits as a rule: its samples in, incidents out.
 * Each limit the entry sets is one subject (`cpu_percent`, `memory_mb`, `open_files`,
 * `threads`, `children`); CPU must hold for `cpu_duration` (sustainedFor, on the samples'
 * own times, from the start of the first breaching share's window), the others fire at the first sample over; each fires on every sample while
 * over (dedup makes that one alert per window) and resolves after three clear samples,
 * or at once when the service is gone — the same operators and shape as a monitor rule
 * (rules/compile-rule.ts).
 *
 *   samples:   a(600MB) b(610MB) c(100MB) d(90MB) e(95MB)|   memory_mb: 512
 *   incidents: F        F        -        -       R       |
 */
import { connect, filter, map, merge, mergeMap, type OperatorFunction } from 'rxjs';
import type { Incident } from '../model/incident.js';
import type { ProcessLimitsConfig, SupervisedProcessConfig } from '../config/schema.js';
import { monitorSeverity } from '../rules/monitor-severity.js';
import { CLK_TCK } from '../collectors/processes.js';
import { sustainedFor } from '../../streams/sustainedFor.js';
import { hysteresis } from '../../streams/hysteresis.js';
import type { ServiceSample } from './service-usage.js';

/** A sample, or word that the service is gone (its limits resolve). */
export type LimitInput = { sample: ServiceSample } | { gone: { service: string; at: number } };

export type LimitName = 'cpu_percent' | 'memory_mb' | 'open_files' | 'threads' | 'children';

interface Evaluation {
  limit: LimitName;
  /** 0 on a gone input */
  value: number;
  threshold: number;
  at: number;
  /** cpu_percent: the previous sample's time, where the window its CPU share averages over began */
  since?: number;
  pid: number;
  gone: boolean;
}

/** What each limit reads from a sample, and how it reads in an incident. */
const measures: Record<Exclude<LimitName, 'cpu_percent'>, { of: (s: ServiceSample) => number | null | undefined; say: string; unit: string }> = {
  memory_mb: { of: (s) => s.rssBytes / (1024 * 1024), say: 'RSS', unit: ' MB' },
  open_files: { of: (s) => s.openFiles, say: 'open files', unit: '' },
  threads: { of: (s) => s.threads, say: 'threads', unit: '' },
  children: { of: (s) => s.children, say: 'children', unit: '' },
};

const DEFAULT_CPU_DURATION_MS = 60_000;
/** consecutive clear samples before a limit resolves (as a monitor rule: compile-rule.ts) */
const CLEAR_SAMPLES = 3;

/** Pure: the evaluations of one input, one per configured limit (CPU from the previous sample of the same process). */
const evaluate = (limits: ProcessLimitsConfig) => {
  let previous: ServiceSample | null = null;
  /** the process of the latest sample: a gone input resolves its incidents */
  let lastPid = 0;
  const configured = (Object.keys(measures) as (keyof typeof measures)[]).filter((k) => limits[k] !== undefined);
  return (input: LimitInput): Evaluation[] => {
    if ('gone' in input) {
      previous = null;
      const all: LimitName[] = limits.cpu_percent !== undefined ? ['cpu_percent', ...configured] : configured;
      return all.map((limit) => ({ limit, value: 0, threshold: 0, at: input.gone.at, pid: lastPid, gone: true }));
    }
    const s = input.sample;
    lastPid = s.pid;
    const out: Evaluation[] = [];
    if (limits.cpu_percent !== undefined) {
      const before = previous;
      if (before && before.pid === s.pid && before.startTicks === s.startTicks && s.at > before.at) {
        const value = ((Math.max(0, s.cpuTicks - before.cpuTicks) / CLK_TCK) * 100_000) / (s.at - before.at);
        out.push({ limit: 'cpu_percent', value, threshold: limits.cpu_percent, at: s.at, since: before.at, pid: s.pid, gone: false });
      }
      previous = s;
    }
    for (const limit of configured) {
      const value = measures[limit].of(s);
      if (value !== null && value !== undefined) out.push({ limit, value, threshold: limits[limit]!, at: s.at, pid: s.pid, gone: false });
    }
    return out;
  };
};

const describe = (service: string, e: Evaluation): string => {
  const v = +e.value.toFixed(1);
  if (e.limit === 'cpu_percent') return `${service}: CPU ${v}% of one core > ${e.threshold}% (pid ${e.pid})`;
  const m = measures[e.limit];
  return `${service}: ${m.say} ${v}${m.unit} > ${e.threshold}${m.unit} (pid ${e.pid})`;
};

const toIncident = (entry: SupervisedProcessConfig, e: Evaluation, status: 'firing' | 'resolved'): Incident => ({
  // per instance: a restarted service over its limit again is a new problem (dedup would
  // otherwise hold back its restart_process for the window)
  key: `process_limit|${entry.name}|${e.limit}|${e.pid}`,
  name: `${entry.name} ${e.limit}`,
  severity: monitorSeverity(entry),
  description: status === 'firing' ? describe(entry.name, e) : e.gone ? `${entry.name}: not running any more (${e.limit})` : `${entry.name}: back under ${e.limit} ${e.threshold}`,
  actions: status === 'firing' ? entry.actions : [],
  metadata: {
    monitorType: `process_limit:${e.limit}`,
    threshold: e.threshold,
    currentValue: e.value,
    details: `supervised service ${entry.name}`,
    pids: [e.pid],
  },
  ts: e.at,
  status,
  count: 1,
});

/** The entry's limits over its samples (nothing when it sets none). */
export const serviceLimits =
  (entry: SupervisedProcessConfig): OperatorFunction<LimitInput, Incident> =>
  (input$) => {
    const limits = entry.limits ?? {};
    const cpuMs = limits.cpu_duration ?? DEFAULT_CPU_DURATION_MS;
    const over = (e: Evaluation) => !e.gone && e.value > e.threshold;
    return input$.pipe(
      mergeMap(evaluate(limits)),
      connect((e$) =>
        merge(
          e$.pipe(
            filter((e) => e.limit === 'cpu_percent'),
            // a CPU share over the window since the previous sample held over all of it
            sustainedFor(cpuMs, { isHeld: over, timeOf: (e) => e.at, heldFromOf: (e) => e.since ?? e.at }),
            map((x) => ({ e: x.value, firing: x.sustained, clear: !x.held })),
          ),
          e$.pipe(
            filter((e) => e.limit !== 'cpu_percent'),
            map((e) => ({ e, firing: over(e), clear: !over(e) })),
          ),
        ),
      ),
      hysteresis({
        keyOf: (x) => x.e.limit,
        isFiring: (x) => x.firing,
        isClear: (x) => x.clear,
        isGone: (x) => x.e.gone,
        timeOf: (x) => x.e.at,
        clearAfter: CLEAR_SAMPLES,
        repeat: true,
      }),
      map(({ state, value }) => toIncident(entry, value.e, state)),
    );
  };
