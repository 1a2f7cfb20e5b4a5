/**
 * `monitors:` → RuleSpecs. Periodic monitor types compile into rules over the metrics
 * stream; event-driven ones (auth_failures, log_failures, file_monitor) are handed to
 * their own detectors; types whose collector has not arrived yet compile against a
 * placeholder that is reported once at start ("not available yet") instead of silently
 * doing nothing.
 */
import type { Severity } from '../model/incident.js';
import { monitorSeverity } from './monitor-severity.js';
import type { RuleSpec } from './rule-spec.js';
import { eventDrivenTypes, labelFor, measureFor, unitFor } from './monitor-selectors.js';

export interface MonitorLike {
  name: string;
  type: string;
  threshold: number;
  enabled?: boolean;
  actions: string[];
  window?: number;
  duration?: number;
  paths?: string[];
  metric?: string;
  comparison?: 'above' | 'below';
  inclusive?: boolean;
  severity?: Severity;
  samples?: number;
  multiplier?: number;
  psi?: 'some' | 'full';
}


const fmt = (v: number): string => (Number.isInteger(v) ? String(v) : v.toFixed(Math.abs(v) < 10 ? 2 : 1));

export interface CompiledMonitors {
  rules: RuleSpec[];
  /** enabled monitors that cannot run yet, with why */
  unavailable: { monitor: MonitorLike; reason: string }[];
}

export const compileMonitors = (monitors: MonitorLike[], resolveMetric?: (m: MonitorLike) => string | undefined): CompiledMonitors => {
  const out: CompiledMonitors = { rules: [], unavailable: [] };
  for (const m of monitors) {
    if (m.enabled === false) continue;
    // their own detectors: src/auth/ssh-monitors.ts, src/auth/log-failure-monitors.ts, src/files/file-monitors.ts
    if (eventDrivenTypes.has(m.type)) continue;
    const measure = measureFor(m.type, { paths: m.paths, metric: m.metric ?? resolveMetric?.(m), samples: m.samples, multiplier: m.multiplier, psi: m.psi });
    if (!measure) {
      out.unavailable.push({ monitor: m, reason: `monitor type ${m.type} is not available yet` });
      continue;
    }
    const comparison = m.comparison ?? 'above';
    const sign = comparison === 'above' ? (m.inclusive ? '≥' : '>') : m.inclusive ? '≤' : '<';
    const unit = unitFor(m.type);
    const label = labelFor(m.type);
    out.rules.push({
      name: m.name,
      monitorType: m.type,
      severity: monitorSeverity(m),
      actions: m.actions,
      threshold: m.threshold,
      comparison,
      inclusive: m.inclusive ?? false,
      durationMs: m.duration ?? 0,
      ...measure,
      describe: (v, subject) =>
        `${label}${subject ? ' ' + subject : ''} ${fmt(v)}${unit} ${sign} ${fmt(m.threshold)}${unit}` +
        (m.duration ? ` for ${Math.round(m.duration / 1000)}s` : ''),
    });
  }
  return out;
};
