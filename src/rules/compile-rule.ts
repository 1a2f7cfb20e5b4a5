/**
 * Compiles a RuleSpec into an operator over the metrics stream. Per subject (the host,
 * or each mount) it applies the threshold, requires the breach to be sustained for
 * `durationMs` (measured on the snapshots' own timestamps, so replayed and live
 * metrics behave alike; for a value averaged over its sampling window, such as CPU %,
 * from the start of the window of the first breaching sample), emits a `firing`
 * incident on every breached tick while it holds (dedup downstream turns that into one
 * alert per window, escalation counts it),
 * and one `resolved` incident once the condition has been clear for `clearTicks` ticks
 * in a row — the hysteresis that keeps a value flapping around the threshold from
 * spamming firing/resolved pairs.
 *
 *   metrics:   a(95) b(96) c(70) d(97) e(60) f(61) g(62)|     threshold 90, clearTicks 3
 *   incidents: F     F     -     F     -     -     R    |
 */
import { Observable, type OperatorFunction } from 'rxjs';
import { windowStartOf, type Metrics } from '../model/metrics.js';
import type { Incident } from '../model/incident.js';
import type { RuleSpec } from './rule-spec.js';
import { breaches } from '../../streams/threshold.js';
import { sustainedForStep, type Sustained } from '../../streams/sustainedFor.js';
import { hysteresisStep } from '../../streams/hysteresis.js';
import type { Subject, SubjectDetails } from './subject.js';

export interface CompileOptions {
  /** consecutive clear ticks before `resolved` (default 3) */
  clearTicks?: number;
}

const incidentKey = (spec: RuleSpec, subjectKey: string): string =>
  subjectKey ? `${spec.monitorType}|${spec.name}|${subjectKey}` : `${spec.monitorType}|${spec.name}`;

/**
 * The rule's incidents, one per firing or resolved evaluation. A firing rule raises
 * one on every tick, so the host's key is built once and the incident field by field.
 */
export const incidentBuilder = (spec: RuleSpec) => {
  const hostKey = incidentKey(spec, '');
  return (s: Subject, ts: number, status: 'firing' | 'resolved', d: SubjectDetails = {}): Incident => {
    const what =
      status === 'resolved'
        ? `back to normal${s.key ? ` on ${s.key}` : ''}: now ${+s.value.toFixed(2)}, threshold ${spec.threshold}`
        : spec.describe(s.value, s.key);
    const metadata: Incident['metadata'] = { monitorType: spec.monitorType, threshold: spec.threshold, currentValue: s.value, details: d.details ?? '' };
    if (d.ips) metadata.ips = d.ips;
    if (d.pids) metadata.pids = d.pids;
    return {
      key: s.key === '' ? hostKey : incidentKey(spec, s.key),
      name: spec.name,
      severity: spec.severity,
      description: what,
      actions: status === 'resolved' ? [] : spec.actions,
      metadata,
      ts,
      status,
      count: 1,
    };
  };
};

/** One subject of one snapshot, as the rule's operators see it. */
export interface Evaluation {
  m: Metrics;
  s: Subject;
  /** the subject was there last tick and is not now (a mount went away) */
  gone: boolean;
}

/** The same subjects, by key and in order, as last tick (the common case: the host alone, or the same mounts). */
const sameKeys = (a: readonly Subject[], b: readonly Subject[]): boolean => {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i]!.key !== b[i]!.key) return false;
  return true;
};

/**
 * A snapshot's subjects to per-subject evaluations, handed to `each`: each subject the
 * spec selects (or its measure gives), then one `gone` evaluation per subject of the
 * previous tick that is missing from this one. A snapshot whose metric is unavailable
 * (subjects null) yields nothing: the rule neither fires nor resolves on a degraded
 * collector.
 */
const subjectEvaluator = (each: (e: Evaluation) => void): ((m: Metrics, subjects: Subject[] | null) => void) => {
  let previous: Subject[] = [];
  return (m, subjects) => {
    if (subjects === null) return;
    for (let i = 0; i < subjects.length; i++) each({ m, s: subjects[i]!, gone: false });
    if (previous.length > 0 && !sameKeys(previous, subjects)) {
      const present = new Set(subjects.map((s) => s.key));
      for (const s of previous) if (!present.has(s.key)) each({ m, s, gone: true });
    }
    previous = subjects;
  };
};

/**
 * The rule as an operator: Metrics in, Incidents out — the threshold (`breaches`) per
 * subject as the condition, `sustainedFor` the duration on the snapshots' own
 * timestamps (a windowed value's run from its window's start: `windowOf`),
 * `hysteresis` with `clearTicks` clear ticks to resolve and a firing reminder on every
 * sustained tick. A rule without a duration has nothing to sustain:
 * its breach is its firing condition.
 *
 * The rule runs the operators' own state machines (`sustainedForStep`, `hysteresisStep`)
 * in one operator rather than piping four: every snapshot reaches every rule, and each
 * hop (a subscriber, an evaluation object, a map) cost the 20-rule benchmark about a
 * tenth of its throughput. The marble specs of `sustainedFor` and `hysteresis` cover
 * the same code.
 */
export const compileRule = (spec: RuleSpec, options: CompileOptions = {}): OperatorFunction<Metrics, Incident> => {
  const clearAfter = Math.max(1, options.clearTicks ?? 3);
  const breach = breaches({ limit: spec.threshold, comparison: spec.comparison, inclusive: spec.inclusive });
  const held = (e: Evaluation) => !e.gone && breach(e.s.value);
  const toIncident = incidentBuilder(spec);
  const incidentOf = (state: 'firing' | 'resolved', e: Evaluation): Incident =>
    state === 'firing' ? toIncident(e.s, e.m.ts, 'firing', spec.annotate?.(e.m, e.s) ?? e.s.details) : toIncident(e.s, e.m.ts, 'resolved');

  return (metrics$) =>
    new Observable<Incident>((subscriber) => {
      let step: (m: Metrics, subjects: Subject[] | null) => void;
      if (spec.durationMs <= 0) {
        const transition = hysteresisStep({
          keyOf: (e: Evaluation) => e.s.key,
          isFiring: held,
          isGone: (e) => e.gone,
          timeOf: (e) => e.m.ts,
          clearAfter,
          repeat: true,
        });
        step = subjectEvaluator((e) => {
          const t = transition(e);
          if (t) subscriber.next(incidentOf(t.state, e));
        });
      } else {
        const windowOf = spec.windowOf;
        const sustain = sustainedForStep(spec.durationMs, {
          isHeld: held,
          keyOf: (e: Evaluation) => e.s.key,
          timeOf: (e) => e.m.ts,
          // an average over the sampling window held over all of it: the run starts at the window's start
          ...(windowOf ? { heldFromOf: (e: Evaluation) => windowStartOf(e.m, windowOf) } : {}),
        });
        const transition = hysteresisStep({
          keyOf: (x: Sustained<Evaluation>) => x.key,
          isFiring: (x) => x.sustained,
          isClear: (x) => !x.held,
          isGone: (x) => x.value.gone,
          timeOf: (x) => x.value.m.ts,
          clearAfter,
          repeat: true,
        });
        step = subjectEvaluator((e) => {
          const t = transition(sustain(e));
          if (t) subscriber.next(incidentOf(t.state, e));
        });
      }
      const observer = { error: (e: unknown) => subscriber.error(e), complete: () => subscriber.complete() };
      // a stateful measure (a process's RSS over its reads) gives each snapshot with its subjects
      if (spec.measure) {
        return metrics$.pipe(spec.measure).subscribe({
          ...observer,
          next: ({ m, subjects }) => {
            try {
              step(m, subjects);
            } catch (err) {
              subscriber.error(err);
            }
          },
        });
      }
      const select = spec.select;
      return metrics$.subscribe({
        ...observer,
        next: (m) => {
          try {
            step(m, select(m));
          } catch (err) {
            subscriber.error(err);
          }
        },
      });
    });
};
