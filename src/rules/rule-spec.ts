/**
 * A rule in the form the compiler consumes: what to measure, how to compare, how
 * long it must hold, and what incident to raise. `monitors:` entries, the anomaly
 * detector and the self-check all become RuleSpecs, so they share one evaluation path.
 */
import type { Severity } from '../model/incident.js';
import type { MetricKey } from '../model/metrics.js';
import type { SubjectAnnotator, SubjectMeasure, SubjectSelector } from './subject.js';

export type RuleSpec = RuleBasics & (
  /** what it measures, per snapshot */
  | { select: SubjectSelector; measure?: undefined }
  /** or over the stream, when a subject's value depends on earlier snapshots */
  | { measure: SubjectMeasure; select?: undefined }
);

export interface RuleBasics {
  name: string;
  /** cpu_usage, ..., `anomaly:cpu_spike`, `self_check:memory` */
  monitorType: string;
  severity: Severity;
  actions: string[];
  threshold: number;
  comparison: 'above' | 'below';
  /** true: fires at exactly the threshold too */
  inclusive: boolean;
  /** the condition must hold this long before firing (0 = at once) */
  durationMs: number;
  /**
   * The collector whose sampling window the value averages over, when it is a share or
   * rate from counter deltas between two reads (CPU %, I/O, network rates, a process's
   * CPU %): a breach says the condition held over that whole window, so the duration
   * counts from the window's start (Metrics.windows). Absent: an instantaneous value
   * (memory, disk usage, load, PSI avg10 as read, counts), counted from the snapshot.
   */
  windowOf?: MetricKey;
  /** details, IPs, pids for the incident; called only when the rule fires */
  annotate?: SubjectAnnotator;
  /** "CPU 97.3% > 80%" — how the incident describes a breach */
  describe(value: number, subjectKey: string): string;
}
