/**
 * What a rule measures in one snapshot: one or more subjects (the whole host, or one
 * mount for disk_usage), each with a value. `null` means the metric is not available
 * this tick (its collector degraded), and the rule neither fires nor resolves.
 */
import type { Metrics } from '../model/metrics.js';

export interface Subject {
  /** '' for the host as a whole, the mount point for disk_usage, ... */
  key: string;
  value: number;
  /** extra human-readable detail ("top: stress (pid 4242) 98%") */
  details?: string;
  ips?: string[];
  pids?: number[];
}

export type SubjectSelector = (m: Metrics) => Subject[] | null;
