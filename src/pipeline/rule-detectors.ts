/**
 * The metric rules of a config — `monitors:`, the anomaly detector, the self-check —
 * each compiled into a detector: the metrics stream through its rule
 * (threshold → sustainedFor → hysteresis) and the incident flow (dedup, escalate).
 * The agent and the virtual-time pipeline build their rules here, so what a test
 * proves is what runs.
 */
import type { MonoTypeOperatorFunction, Observable } from 'rxjs';
import type { Config } from '../config/schema.js';
import type { Incident } from '../model/incident.js';
import type { Metrics } from '../model/metrics.js';
import { compileMonitors, type MonitorLike } from '../rules/compile-monitors.js';
import { compileRule } from '../rules/compile-rule.js';
import { anomalyRules } from '../rules/anomaly-rules.js';
import { selfCheckRules } from '../rules/self-check-rules.js';

/** A named source of incidents, supervised on its own. */
export interface Detector {
  name: string;
  incidents$: Observable<Incident>;
}

export interface RuleDetectors {
  detectors: Detector[];
  /** `monitors:` entries compiled into rules */
  monitorRules: number;
  /** enabled monitors that cannot run yet, with why */
  unavailable: { monitor: MonitorLike; reason: string }[];
}

export const ruleDetectors = (
  config: Pick<Config, 'monitors' | 'anomaly' | 'performance'>,
  metrics$: Observable<Metrics>,
  /** the incident flow for one rule, given its monitor's `escalate_after` */
  flow: (escalateAfter?: number) => MonoTypeOperatorFunction<Incident>,
): RuleDetectors => {
  const compiled = compileMonitors(config.monitors);
  const rules = [
    ...compiled.rules.map((spec) => ({ spec, escalateAfter: config.monitors.find((m) => m.name === spec.name)?.escalate_after })),
    ...(config.anomaly.enabled ? anomalyRules(config.anomaly).map((spec) => ({ spec, escalateAfter: undefined })) : []),
    ...selfCheckRules(config.performance).map((spec) => ({ spec, escalateAfter: undefined })),
  ];
  return {
    detectors: rules.map(({ spec, escalateAfter }) => ({ name: spec.name, incidents$: metrics$.pipe(compileRule(spec), flow(escalateAfter)) })),
    monitorRules: compiled.rules.length,
    unavailable: compiled.unavailable,
  };
};
