/**
 * Pure: the latest sample of every source (each read on its own cadence) → one Metrics
 * snapshot at `now`, with each field's age and the window its shares and rates average
 * over. A field whose sample is older than its source should allow is degraded
 * (`stale: …`) and left null: a rule over it then neither fires nor resolves
 * (subject.ts), instead of deciding on old data.
 */
import { emptyMetrics, type Metrics } from '../model/metrics.js';
import type { CollectorSample } from './on-cadence.js';

/** The prefix of custom metrics' snapshot keys (`custom.queue_depth`). */
export const CUSTOM_PREFIX = 'custom.';

/**
 * How old a sample may be before its field is stale: two of its intervals (one missed
 * read is tolerated) plus one check_interval (a snapshot samples up to a tick after the
 * read) — e.g. cpu every 5 s: 15 s; socket tables every 15 s: 35 s.
 */
export const maxSampleAgeMs = (intervalMs: number, checkIntervalMs: number): number => 2 * intervalMs + checkIntervalMs;

const seconds = (ms: number): string => `${Math.round(ms / 100) / 10} s`;

/** `maxAgeMs`: the key's maximum age (maxSampleAgeMs of its interval). */
export const buildSnapshot = (samples: readonly CollectorSample[], now: number, maxAgeMs: ReadonlyMap<string, number>): Metrics => {
  const m = emptyMetrics(now);
  const ages: Record<string, number> = {};
  const windows: Record<string, number> = {};
  const fields = m as unknown as Record<string, unknown>;
  for (const s of samples) {
    const age = now - s.at;
    ages[s.key] = age;
    const max = maxAgeMs.get(s.key) ?? Infinity;
    // A degraded sample keeps its own reason however old it gets: a read hung past its
    // timeout stays `timeout: …` (what the stuck-collector self-check looks for).
    if (s.degraded !== undefined) m.degraded[s.key] = s.degraded;
    else if (s.value !== null && age > max) m.degraded[s.key] = `stale: last read ${seconds(age)} ago, expected within ${seconds(max)}`;
    else if (s.value === null) continue; // a baseline, or not known yet: nothing is wrong
    else if (s.key.startsWith(CUSTOM_PREFIX)) m.custom[s.key.slice(CUSTOM_PREFIX.length)] = s.value as number;
    else {
      fields[s.key] = s.value;
      if (s.windowMs !== undefined) windows[s.key] = s.windowMs;
    }
  }
  m.ages = ages;
  m.windows = windows;
  return m;
};
