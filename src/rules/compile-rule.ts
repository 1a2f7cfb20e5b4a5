/**
 * Compiles a RuleSpec into an operator over the metrics stream. Per subject (the host,
 * or each mount) it applies the threshold, requires the breach to be sustained for
 * `durationMs` (measured on the snapshots' own timestamps, so replayed and live
 * metrics behave alike), emits a `firing` incident on every breached tick while it
 * holds (dedup downstream turns that into one alert per window, escalation counts it),
 * and one `resolved` incident once the condition has been clear for `clearTicks` ticks
 * in a row — the hysteresis that keeps a value flapping around the threshold from
 * spamming firing/resolved pairs.
 *
 *   metrics:   a(95) b(96) c(70) d(97) e(60) f(61) g(62)|     threshold 90, clearTicks 3
 *   incidents: F     F     -     F     -     -     R    |
 */
import { type OperatorFunction, Observable } from 'rxjs';
import type { Metrics } from '../model/metrics.js';
import type { Incident } from '../model/incident.js';
import type { RuleSpec } from './rule-spec.js';
import { breaches } from '../../streams/threshold.js';
import type { Subject, SubjectDetails } from './subject.js';

interface SubjectState {
  breachSince: number | null;
  firing: boolean;
  clearTicks: number;
  last: Subject;
  /** the tick that last saw this subject */
  tick: number;
}

export interface CompileOptions {
  /** consecutive clear ticks before `resolved` (default 3) */
  clearTicks?: number;
}

const incidentKey = (spec: RuleSpec, subjectKey: string): string =>
  subjectKey ? `${spec.monitorType}|${spec.name}|${subjectKey}` : `${spec.monitorType}|${spec.name}`;

export const toIncident = (spec: RuleSpec, s: Subject, ts: number, status: 'firing' | 'resolved', d: SubjectDetails = {}): Incident => {
  const what =
    status === 'resolved'
      ? `back to normal${s.key ? ` on ${s.key}` : ''}: now ${+s.value.toFixed(2)}, threshold ${spec.threshold}`
      : spec.describe(s.value, s.key);
  return {
    key: incidentKey(spec, s.key),
    name: spec.name,
    severity: spec.severity,
    description: what,
    actions: status === 'resolved' ? [] : spec.actions,
    metadata: {
      monitorType: spec.monitorType,
      threshold: spec.threshold,
      currentValue: s.value,
      details: d.details ?? '',
      ...(d.ips ? { ips: d.ips } : {}),
      ...(d.pids ? { pids: d.pids } : {}),
    },
    ts,
    status,
    count: 1,
  };
};

/**
 * One rule as a stateful step over snapshots: pure (no timers, no I/O), so the rule
 * benchmark and `panicmode test` can drive it directly and the operator is a thin wrap.
 */
export const ruleEvaluator = (spec: RuleSpec, options: CompileOptions = {}) => {
  const clearAfter = Math.max(1, options.clearTicks ?? 3);
  const states = new Map<string, SubjectState>();
  let tick = 0;
  const isBreach = breaches({ limit: spec.threshold, comparison: spec.comparison, inclusive: spec.inclusive });

  return (m: Metrics, emit: (i: Incident) => void): void => {
    const subjects = spec.select(m);
    if (subjects === null) return; // metric unavailable this tick: neither fire nor resolve
    tick++;
    let kept = 0;
    for (const s of subjects) {
      let st = states.get(s.key);
      if (!st) {
        st = { breachSince: null, firing: false, clearTicks: 0, last: s, tick };
        states.set(s.key, st);
      }
      st.tick = tick;
      if (isBreach(s.value)) {
        st.breachSince ??= m.ts;
        st.clearTicks = 0;
        st.last = s;
        if (m.ts - st.breachSince >= spec.durationMs) {
          st.firing = true;
          emit(toIncident(spec, s, m.ts, 'firing', spec.annotate?.(m, s)));
        }
      } else {
        st.breachSince = null;
        if (st.firing && ++st.clearTicks >= clearAfter) {
          st.firing = false;
          st.clearTicks = 0;
          emit(toIncident(spec, s, m.ts, 'resolved'));
        }
        if (!st.firing) {
          states.delete(s.key);
          continue;
        }
      }
      kept++;
    }
    if (states.size > kept) {
      // A subject that vanished (a mount went away) counts as cleared at once.
      for (const [key, st] of states) {
        if (st.tick === tick) continue;
        states.delete(key);
        if (st.firing) emit(toIncident(spec, st.last, m.ts, 'resolved'));
      }
    }
  };
};

/** The rule as an operator: Metrics in, Incidents out. */
export const compileRule =
  (spec: RuleSpec, options: CompileOptions = {}): OperatorFunction<Metrics, Incident> =>
  (source) =>
    new Observable<Incident>((subscriber) => {
      const step = ruleEvaluator(spec, options);
      const emit = (i: Incident) => subscriber.next(i);
      return source.subscribe({
        next: (m) => {
          try {
            step(m, emit);
          } catch (err) {
            subscriber.error(err);
          }
        },
        error: (e) => subscriber.error(e),
        complete: () => subscriber.complete(),
      });
    });
