/**
 * PanicMode watching itself, as rules over the `self` sample and the snapshot's
 * `degraded` map, so they flow through the same handler and alert path as any monitor:
 *
 *   self_check:cpu          critical  own CPU over `performance.cpu_limit`, held 15 s
 *   self_check:memory       critical  own RSS over `performance.memory_limit_mb` (floored, below)
 *   self_check:memory_growth warning  RSS grown 32 MB over the start-up footprint, held 10 min
 *   self_check:open_fds     critical  80 % of the open-file limit in use: soon no log, socket or database can be opened
 *   self_check:event_loop   critical  event-loop lag over 1 s: detection is delayed
 *   self_check:collector    warning   a collector timed out (or is still stuck) 3 ticks in a row, 10 s at least
 *
 * The memory limit and a Node.js agent: Node's runtime alone (V8 heap, code, ICU, libuv)
 * takes ~40 MB before PanicMode does anything, so a config written for the Rust PanicMode,
 * whose reference default is 50 MB, would page its operator on the agent's own baseline on
 * a quiet host. A configured limit below `NODE_RSS_FLOOR_MB` is therefore raised to that
 * floor (and `selfCheckNotes` says so at start-up); growth, the sign of a leak, is watched
 * separately against the footprint the agent started with.
 */
import type { Metrics } from '../model/metrics.js';
import type { RuleSpec } from './rule-spec.js';

/** The least RSS limit that means something for a Node.js agent, MB. */
export const NODE_RSS_FLOOR_MB = 96;

export interface SelfCheckOptions {
  cpu_limit: number;
  memory_limit_mb: number;
  /** the tick period, ms: "3 ticks in a row" for collectors is measured in it */
  check_interval: number;
  /** sustained over this long, so a start-up burst is not an incident */
  sustain_ms?: number;
  /** event-loop lag that means the agent cannot react in time */
  max_event_loop_lag_ms?: number;
  /** RSS growth over the start-up footprint that looks like a leak, MB (default 32) */
  rss_growth_mb?: number;
  /** how long that growth must hold, ms (default 10 min: a burst of work is not a leak) */
  rss_growth_sustain_ms?: number;
  /** share of the open-file limit in use that is "near the limit", % (default 80) */
  fd_limit_percent?: number;
}

const MB = 1048576;

/** The RSS limit the self-check applies: the configured one, at least the Node floor. */
export const effectiveMemoryLimitMb = (configuredMb: number): number => Math.max(configuredMb, NODE_RSS_FLOOR_MB);

/** What the operator should know at start-up about how their limits are applied. */
export const selfCheckNotes = (p: Pick<SelfCheckOptions, 'memory_limit_mb'>): string[] =>
  p.memory_limit_mb < NODE_RSS_FLOOR_MB
    ? [
        `performance.memory_limit_mb: ${p.memory_limit_mb} MB is below the ${NODE_RSS_FLOOR_MB} MB a Node.js agent needs at rest ` +
          `(a Rust-era default); the self-check uses ${NODE_RSS_FLOOR_MB} MB. Set ${NODE_RSS_FLOOR_MB} or more to silence this.`,
      ]
    : [];

/** A collector's degraded reason that means it hangs (its read timed out), not that it has no data or failed fast. */
const isStuck = (reason: string): boolean => reason.startsWith('timeout');

const stuckCollectors = (m: Metrics) =>
  Object.entries(m.degraded)
    .filter(([, reason]) => isStuck(reason))
    .map(([name]) => ({ key: name, value: 1 }));

export const selfCheckRules = (p: SelfCheckOptions): RuleSpec[] => {
  const memoryLimit = effectiveMemoryLimitMb(p.memory_limit_mb);
  const growthMb = p.rss_growth_mb ?? 32;
  const fdPercent = p.fd_limit_percent ?? 80;
  const common = {
    severity: 'critical' as const,
    comparison: 'above' as const,
    inclusive: false,
    actions: ['alert_critical'],
    durationMs: p.sustain_ms ?? 15_000,
  };
  const warning = { ...common, severity: 'warning' as const, actions: ['alert_warning'] };
  return [
    {
      ...common,
      name: 'self-check: PanicMode CPU',
      monitorType: 'self_check:cpu',
      threshold: p.cpu_limit,
      // CPU time between two reads: held over that whole window
      windowOf: 'self',
      select: (m) => (m.self ? [{ key: '', value: m.self.cpuPercent }] : null),
      describe: (v) => `PanicMode itself uses ${v.toFixed(1)}% CPU > limit ${p.cpu_limit}%`,
    },
    {
      ...common,
      name: 'self-check: PanicMode memory',
      monitorType: 'self_check:memory',
      threshold: memoryLimit,
      select: (m) => (m.self ? [{ key: '', value: m.self.rssBytes / MB }] : null),
      describe: (v) => `PanicMode itself uses ${v.toFixed(0)} MB RSS > limit ${memoryLimit} MB`,
    },
    {
      ...warning,
      name: 'self-check: PanicMode memory growth',
      monitorType: 'self_check:memory_growth',
      threshold: growthMb,
      durationMs: p.rss_growth_sustain_ms ?? 600_000,
      select: (m) => (m.self ? [{ key: '', value: (m.self.rssBytes - m.self.rssBaselineBytes) / MB }] : null),
      annotate: (m) => ({
        details: m.self ? `start-up ${(m.self.rssBaselineBytes / MB).toFixed(0)} MB, now ${(m.self.rssBytes / MB).toFixed(0)} MB` : '',
      }),
      describe: (v) =>
        `PanicMode's RSS has grown ${v.toFixed(0)} MB over its start-up footprint and stayed there: a leak is likely ` +
        `(restart it when convenient and report the version and config)`,
    },
    {
      ...common,
      name: 'self-check: PanicMode open files',
      monitorType: 'self_check:open_fds',
      threshold: fdPercent,
      durationMs: 0,
      // Unknown (-1) or unlimited: nothing to be near.
      select: (m) =>
        m.self && m.self.openFds >= 0 && m.self.fdLimit > 0 && Number.isFinite(m.self.fdLimit)
          ? [{ key: '', value: (m.self.openFds / m.self.fdLimit) * 100 }]
          : null,
      annotate: (m) => ({ details: m.self ? `${m.self.openFds} of ${m.self.fdLimit} descriptors open` : '' }),
      describe: (v) =>
        `PanicMode holds ${v.toFixed(0)}% of its open-file limit: soon it cannot open logs, sockets or its database ` +
        `(raise LimitNOFILE= in its unit, or look for a descriptor leak in /proc/<pid>/fd)`,
    },
    {
      ...common,
      name: 'self-check: PanicMode event loop',
      monitorType: 'self_check:event_loop',
      threshold: p.max_event_loop_lag_ms ?? 1000,
      select: (m) => (m.self ? [{ key: '', value: m.self.eventLoopLagMs }] : null),
      describe: (v) => `PanicMode's event loop lags ${v.toFixed(0)} ms: detection is delayed`,
    },
    {
      ...warning,
      name: 'self-check: PanicMode collector stuck',
      monitorType: 'self_check:collector',
      threshold: 0,
      // Three ticks in a row (the first breach starts the clock, the third is two intervals
      // later), and at least 10 s: at a 200 ms interval, three slow reads are a blip.
      durationMs: Math.max(2 * p.check_interval, 10_000),
      select: stuckCollectors,
      describe: (_v, name) =>
        `collector "${name}" has not answered within its timeout for 3 ticks in a row: rules over its readings are blind ` +
        `(a hung mount or a stuck disk under the proc root is the usual cause; the agent log names each timeout)`,
    },
  ];
};
