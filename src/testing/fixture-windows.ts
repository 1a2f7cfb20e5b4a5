/**
 * What a test's value of a windowed metric means. A collector's share or rate (CPU %,
 * I/O and network rates, a process's CPU %) is a delta between two reads, an average
 * over the window since the read before, and a rule counts its duration from that
 * window's start (RuleSpec.windowOf). A test's snapshot at time t is read the same way:
 * each collector field in it averages the window since the previous snapshot that had
 * that field — the previous check, or further back across a gap (`_`) — and the
 * first one the check interval before t. So `cpu.usagePercent: "50 93x7"` at 5 s checks
 * says CPU was 93 % from 0 s on, as the agent would read it.
 *
 * Stamped on each snapshot as the metrics stream does (`Metrics.windows`), unless it
 * already carries windows of its own (a hand-built snapshot that says otherwise).
 *
 *   snapshots:  cpu@0   cpu@5s  (none)@10s  cpu@15s        check interval 5 s
 *   windows:    5 s     5 s     -           10 s
 */
import type { Metrics } from '../model/metrics.js';
import { COLLECTOR_SECTIONS } from './metric-paths.js';

/** A stamper for one run of snapshots (it remembers when each field was last sampled); `ts` must be the snapshot's time. */
export const fixtureWindows = (intervalMs: number): ((m: Metrics) => Metrics) => {
  const lastSampled = new Map<string, number>();
  return (m) => {
    const windows: Record<string, number> = {};
    for (const section of COLLECTOR_SECTIONS) {
      if (m[section] === null) continue;
      windows[section] = m.ts - (lastSampled.get(section) ?? m.ts - intervalMs);
      lastSampled.set(section, m.ts);
    }
    return m.windows === undefined ? { ...m, windows } : m;
  };
};
