/**
 * What a rule measures in one snapshot: one or more subjects (the whole host, or one
 * mount for disk_usage), each with a value. `null` means the metric is not available
 * this tick (its collector degraded), and the rule neither fires nor resolves.
 */
import type { OperatorFunction } from 'rxjs';
import type { Metrics } from '../model/metrics.js';

export interface Subject {
  /** '' for the host as a whole, the mount point for disk_usage, ... */
  key: string;
  value: number;
  /** what the incident says about it, when the measure already knows (a process's name and trend) */
  details?: SubjectDetails;
}

export type SubjectSelector = (m: Metrics) => Subject[] | null;

/** One snapshot and its subjects, as a stateful measure gives them. */
export interface Measured {
  m: Metrics;
  subjects: Subject[] | null;
}

/**
 * Subjects that depend on earlier snapshots (a process's RSS over its last reads, a
 * tree's growth since the last read): an operator over the metrics stream giving each
 * snapshot with its subjects, `null` as for a selector when the data is not there.
 */
export type SubjectMeasure = OperatorFunction<Metrics, Measured>;

/** What an incident says beyond the value: only computed when a rule fires. */
export interface SubjectDetails {
  /** human-readable ("top: stress (pid 4242) 98%") */
  details?: string;
  /** offending addresses, for block_ip */
  ips?: string[];
  /** offending processes, for freeze/kill */
  pids?: number[];
}

export type SubjectAnnotator = (m: Metrics, subject: Subject) => SubjectDetails;
