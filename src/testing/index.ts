/**
 * `panicmode/testing`: rule development in TypeScript, under RxJS's TestScheduler.
 * Build the agent's pipeline from a config on the test's scheduler, feed it cold or
 * hot observables of metric snapshots and log lines, and `expectObservable` on the
 * incidents, actions, bans and alerts it produces (docs/rule-testing.md has a worked
 * example). The YAML form of the same (`panicmode test`) is `runRuleTestFile`.
 *
 * @example
 * new TestScheduler(assert.deepEqual).run(({ cold, expectObservable }) => {
 *   const p = buildRulePipeline(testConfig({ monitors: [...] }), { metrics$: cold('a 4999ms a', { a: snapshot({ 'cpu.usagePercent': 95 }) }) }, testScheduler);
 *   expectObservable(p.incidents$.pipe(map((i) => i.name))).toBe('a 4999ms -', { a: 'CPU saturated' });
 * });
 */
import { ConfigError } from '../errors.js';
import { decodeConfig, parseYaml } from '../config/load.js';
import { includeRulePacks } from '../config/rule-packs.js';
import type { Config } from '../config/schema.js';
import type { Metrics } from '../model/metrics.js';
import { buildSnapshot, parseMetricPath } from './metric-paths.js';
import { loadRuleTestFile } from './rule-test-file.js';
import { runRuleTest, type RuleTestResult } from './run-rule-test.js';

export { buildRulePipeline } from './rule-pipeline.js';
export type { RulePipeline, RulePipelineOptions, PipelineInputs, PipelineEvent, IncidentEvent, ActionEvent, BanEvent, AlertEvent } from './rule-pipeline.js';
export type { LogLine } from './log-routing.js';
export { createTestFirewall, type TestFirewall } from './test-firewall.js';
export { createRecordedAlertPath, type RecordedAlertPath } from './recorded-alert-path.js';
export { flushSettling } from './virtual-time-driver.js';
export { fixtureSupervision, type FixtureSupervision } from './service-fixtures.js';
export type { RuleTestResult } from './run-rule-test.js';
export type { Config } from '../config/schema.js';
export type { Metrics } from '../model/metrics.js';

/**
 * A config for a test: a YAML text or an already parsed mapping, decoded like a config
 * file (defaults applied, `rules:` packs included relative to `baseDir`, default the
 * working directory). Throws ConfigError naming every problem.
 */
export const testConfig = (source: string | Record<string, unknown>, baseDir: string = process.cwd()): Config => {
  let tree: unknown = source;
  if (typeof source === 'string') {
    const parsed = parseYaml(source);
    if (parsed.problems.length > 0) throw new ConfigError(parsed.problems, { source: '<test config>' });
    tree = parsed.value;
  }
  const packs = includeRulePacks(tree, baseDir);
  const { config, problems } = decodeConfig(packs.tree);
  const all = [...packs.problems, ...problems];
  if (all.length > 0 || !config) throw new ConfigError(all, { source: '<test config>' });
  return config;
};

/**
 * One metrics snapshot from metric paths (`{ 'cpu.usagePercent': 95, 'disk.mounts[/].usagePercent': 91 }`),
 * sections not named left null (not collected). Its `ts` does not matter: the pipeline
 * stamps snapshots with the scheduler's time. Throws on a path the snapshot lacks.
 */
export const snapshot = (values: Record<string, number | null>): Metrics =>
  buildSnapshot(
    0,
    Object.entries(values).map(([p, value]) => {
      const path = parseMetricPath(p);
      if (typeof path === 'string') throw new ConfigError([`${p}: ${path}`], { source: 'snapshot' });
      return { path, value };
    }),
  );

/** Runs a `*.test.yaml` file (as `panicmode test` does): one result per test. Throws ConfigError when it is malformed. */
export const runRuleTestFile = async (path: string): Promise<RuleTestResult[]> => {
  const file = await loadRuleTestFile(path);
  const results: RuleTestResult[] = [];
  for (const tc of file.tests) results.push(await runRuleTest(file.config, tc, file.intervalMs));
  return results;
};
