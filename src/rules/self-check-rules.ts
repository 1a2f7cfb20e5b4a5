/**
 * PanicMode watching itself: its own CPU and RSS against `performance.cpu_limit` and
 * `memory_limit_mb`. Always critical, so they reach the critical channels.
 */
import type { RuleSpec } from './rule-spec.js';

export interface SelfCheckOptions {
  cpu_limit: number;
  memory_limit_mb: number;
  /** sustained over this long, so a start-up burst is not an incident */
  sustain_ms?: number;
  /** event-loop lag that means the agent cannot react in time */
  max_event_loop_lag_ms?: number;
}

export const selfCheckRules = (p: SelfCheckOptions): RuleSpec[] => {
  const common = {
    severity: 'critical' as const,
    comparison: 'above' as const,
    inclusive: false,
    actions: ['alert_critical'],
    durationMs: p.sustain_ms ?? 15_000,
  };
  return [
    {
      ...common,
      name: 'self-check: PanicMode CPU',
      monitorType: 'self_check:cpu',
      threshold: p.cpu_limit,
      select: (m) => (m.self ? [{ key: '', value: m.self.cpuPercent }] : null),
      describe: (v) => `PanicMode itself uses ${v.toFixed(1)}% CPU > limit ${p.cpu_limit}%`,
    },
    {
      ...common,
      name: 'self-check: PanicMode memory',
      monitorType: 'self_check:memory',
      threshold: p.memory_limit_mb,
      select: (m) => (m.self ? [{ key: '', value: m.self.rssBytes / 1048576 }] : null),
      describe: (v) => `PanicMode itself uses ${v.toFixed(0)} MB RSS > limit ${p.memory_limit_mb} MB`,
    },
    {
      ...common,
      name: 'self-check: PanicMode event loop',
      monitorType: 'self_check:event_loop',
      threshold: p.max_event_loop_lag_ms ?? 1000,
      select: (m) => (m.self ? [{ key: '', value: m.self.eventLoopLagMs }] : null),
      describe: (v) => `PanicMode's event loop lags ${v.toFixed(0)} ms: detection is delayed`,
    },
  ];
};
