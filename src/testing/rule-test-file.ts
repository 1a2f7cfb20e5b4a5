/**
 * A rule test file (`*.test.yaml`) decoded: the config under test, the virtual check
 * interval, and the tests — inputs (metric series, log lines) and the events expected
 * at virtual times. Decoded with the config's codecs, so a problem names its place as
 * a config error does (`tests[0].metrics.cpu.usagePercent: ...`); every problem of a
 * file is reported at once.
 *
 * ```yaml
 * config: host-pressure.yaml          # relative to this file; or an inline config mapping
 * interval: 5s                        # default: the config's performance.check_interval
 * tests:
 *   - name: CPU saturated fires after 30 s and resolves
 *     metrics: { cpu.usagePercent: "50 95x7 40x4" }
 *     logs: [ { at: 10s, every: 1s, repeat: 6, line: "..." } ]
 *     services: { web: { lives: 20s } }   # a supervised service (processes:) crashing 20 s after each start
 *     expect:
 *       incidents: [ { at: 30s, name: CPU saturated, status: firing } ]
 * ```
 */
import * as t from 'io-ts';
import { dirname, resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import { durationBetween } from '../config/duration.js';
import { formatErrors } from '../config/error-paths.js';
import { decodeConfig, loadConfigFile, parseYaml } from '../config/load.js';
import { readConfigFile } from '../config/read-config-file.js';
import type { Config } from '../config/schema.js';
import { isPlainObject, list, optional, struct, dict } from '../config/struct.js';
import { count, num, oneOf, positiveCount, str, text, stringOrList } from '../config/scalars.js';
import { parseMarbleSteps, parseSeries, type Steps } from './series.js';
import { parseMetricPath, type MetricPath } from './metric-paths.js';
import { unreadLine } from './log-routing.js';

/** A virtual time: `0s` .. a year. */
const virtualTime = durationBetween('0s', '365d');

const severity = oneOf(['info', 'warning', 'critical'] as const);
const status = oneOf(['firing', 'resolved'] as const);

/** `until:` of a ban: a virtual time, or `never` for a ban until lifted. */
const until = new t.Type<number | null, unknown, unknown>(
  'a virtual time (e.g. "1h15s") or never',
  (u): u is number | null => u === null || typeof u === 'number',
  (u, c) => (u === 'never' ? t.success(null) : virtualTime.validate(u, c)),
  (a) => a,
);

const Series = new t.Type<{ values: (number | null)[] } | { steps: Steps }, unknown, unknown>(
  'a series ("50 95x7 40x4") or {marble, values}',
  (u): u is { values: (number | null)[] } => isPlainObject(u),
  (u, c) => {
    if (typeof u === 'string') {
      const r = parseSeries(u);
      return typeof r === 'string' ? t.failure(u, c, `${r}`) : t.success({ values: r });
    }
    if (typeof u === 'number') return t.success({ values: [u] });
    const shape = struct({ marble: text, values: dict(num, 'a mapping of marble letters to numbers') }, 'a series ("50 95x7 40x4") or {marble, values}').validate(u, c);
    if (shape._tag === 'Left') return shape;
    const r = parseMarbleSteps(shape.right.marble, shape.right.values);
    return typeof r === 'string' ? t.failure(u, t.appendContext(c, 'marble', text, shape.right.marble), r) : t.success({ steps: r });
  },
  (a) => a,
);

type Inputs = { path: MetricPath; series: t.TypeOf<typeof Series> }[];

/** `metrics:`: metric path → series; a path the snapshot lacks is an error at its key. */
const MetricInputs = new t.Type<Inputs, unknown, unknown>(
  'a mapping of metric paths to series',
  (u): u is Inputs => Array.isArray(u),
  (u, c) => {
    if (!isPlainObject(u)) return t.failure(u, c);
    const errors: t.Errors = [];
    const out: Inputs = [];
    for (const [key, value] of Object.entries(u)) {
      const at = t.appendContext(c, key, Series, value);
      const path = parseMetricPath(key);
      if (typeof path === 'string') errors.push({ value, context: at, message: path });
      const series = Series.validate(value, at);
      if (series._tag === 'Left') errors.push(...series.left);
      else if (typeof path !== 'string') out.push({ path, series: series.right });
    }
    return errors.length > 0 ? t.failures(errors) : t.success(out);
  },
  (a) => a,
);

/** A process of `processes:` (process-fixtures.ts): series per interval for its CPU and RSS. */
const ProcessInput = struct({
  name: text,
  pid: positiveCount,
  ppid: optional(count),
  uid: optional(count),
  /** % of one core */
  cpu: Series,
  /** MiB */
  rss_mb: Series,
  /** child processes (counted in processes.count; a process with children is a process tree) */
  children: optional(Series),
  /** its state letter for its whole life (default R; Z: a zombie) */
  state: optional(oneOf(['R', 'S', 'D', 'Z', 'T', 'I'] as const)),
});

const LogInput = struct({
  at: virtualTime,
  /** the log the line is written to (a monitor's path, or `journal`); default the SSH auth log (log-routing.ts) */
  log: optional(text),
  /** then again every this long (with repeat) */
  every: optional(durationBetween('1ms', '1d')),
  /** how many times in all (default 1) */
  repeat: optional(positiveCount),
  line: str,
});

/** A lifetime of a service instance: a duration, or `forever`. */
const lifetime = new t.Type<number | null, unknown, unknown>(
  'a duration (e.g. "20s") or forever',
  (u): u is number | null => u === null || typeof u === 'number',
  (u, c) => (u === 'forever' ? t.success(null) : virtualTime.validate(u, c)),
  (a) => a,
);

/** `services:` — per supervised service of the config, how its instances live (service-fixtures.ts). */
const ServiceInput = struct({
  /** an instance runs at 0s, before the supervisor's first check (default false: it starts one) */
  up: optional(t.boolean),
  /** how long each instance runs before it crashes: one for all, or one per instance (the last repeats); default forever */
  lives: optional(
    new t.Type<(number | null)[], unknown, unknown>(
      'a lifetime ("20s", forever) or a list of them',
      (u): u is (number | null)[] => Array.isArray(u),
      (u, c) => {
        if (Array.isArray(u)) return list(lifetime, 'a list of lifetimes').validate(u, c);
        const one = lifetime.validate(u, c);
        return one._tag === 'Left' ? one : t.success([one.right]);
      },
      (a) => a,
    ),
  ),
});

const ExpectedIncident = struct({ at: virtualTime, name: optional(text), status: optional(status), severity: optional(severity), description: optional(str), details: optional(str) });
const ExpectedAction = struct({ at: virtualTime, action: text, target: optional(str), rule: optional(text) });
const ExpectedBan = struct({ at: virtualTime, ip: text, until: optional(until), rule: optional(text) });
const ExpectedAlert = struct({
  at: virtualTime,
  name: optional(text),
  status: optional(status),
  severity: optional(severity),
  count: optional(positiveCount),
  channels: optional(stringOrList),
  /** a part of the message its channels are handed (title and text), e.g. what was done */
  message: optional(str),
});

const Expect = struct({
  incidents: optional(list(ExpectedIncident, 'a list of incidents')),
  actions: optional(list(ExpectedAction, 'a list of actions')),
  bans: optional(list(ExpectedBan, 'a list of bans')),
  alerts: optional(list(ExpectedAlert, 'a list of alerts')),
});

const TestCase = struct({
  name: text,
  metrics: optional(MetricInputs),
  processes: optional(list(ProcessInput, 'a list of processes')),
  logs: optional(list(LogInput, 'a list of log inputs')),
  /** the config's supervised services (`processes:`), by name: how their instances live */
  services: optional(dict(ServiceInput, 'a mapping of supervised service names to {up, lives}')),
  /** how long the inputs last (default: up to the last metric value or log line) */
  duration: optional(virtualTime),
  expect: Expect,
});

const TestFileCodec = struct({
  /** the config file (relative to the test file) or an inline config mapping */
  config: t.unknown,
  interval: optional(durationBetween('1ms', '1h')),
  tests: list(TestCase, 'a list of tests'),
});

export type ExpectedEvents = t.TypeOf<typeof Expect>;
export type LogInputSpec = t.TypeOf<typeof LogInput>;
export type ProcessInputSpec = t.TypeOf<typeof ProcessInput>;
export type SeriesSpec = t.TypeOf<typeof Series>;
export type ServiceInputSpec = t.TypeOf<typeof ServiceInput>;

export interface RuleTestCase {
  name: string;
  metrics: { path: MetricPath; series: SeriesSpec }[];
  processes: ProcessInputSpec[];
  logs: LogInputSpec[];
  /** supervised service → how its instances live */
  services: Record<string, ServiceInputSpec>;
  duration?: number;
  expect: ExpectedEvents;
}

export interface RuleTestFile {
  path: string;
  config: Config;
  intervalMs: number;
  tests: RuleTestCase[];
}

/** Reads and decodes a test file; throws ConfigError (exit 2) naming every problem. */
export const loadRuleTestFile = async (path: string): Promise<RuleTestFile> => {
  const parsed = parseYaml(await readConfigFile(path));
  if (parsed.problems.length > 0) throw new ConfigError(parsed.problems, { source: path });
  const r = TestFileCodec.decode(parsed.value ?? {});
  if (r._tag === 'Left') throw new ConfigError(formatErrors(r.left), { source: path });
  const file = r.right;
  const problems: string[] = [];

  let config: Config | undefined;
  if (typeof file.config === 'string') {
    try {
      // secrets are only checked for form: a test must not read a vault
      config = await loadConfigFile(resolve(dirname(path), file.config), { secrets: 'check' });
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(...err.problems.map((p) => `config (${file.config}): ${p}`));
    }
  } else if (isPlainObject(file.config)) {
    const d = decodeConfig(file.config);
    problems.push(...d.problems.map((p) => `config.${p}`));
    config = d.config;
  } else {
    problems.push('config: missing (expected a config file path or an inline config mapping)');
  }

  const tests: RuleTestCase[] = file.tests.map((tc, i) => {
    const metrics = tc.metrics ?? [];
    (tc.logs ?? []).forEach((l, j) => {
      if ((l.repeat ?? 1) > 1 && l.every === undefined) problems.push(`tests[${i}].logs[${j}]: repeat needs every (how far apart the lines are)`);
      const unread = config ? unreadLine(config.monitors, l) : null;
      if (unread) problems.push(`tests[${i}].logs[${j}]${l.log === undefined ? '' : '.log'}: ${unread}`);
    });
    const services = tc.services ?? {};
    for (const name of Object.keys(services)) {
      if (config && !config.processes.some((p) => p.name === name && p.enabled)) problems.push(`tests[${i}].services.${name}: no enabled service of that name under the config's processes:`);
    }
    if (Object.keys(services).length > 0 && tc.duration === undefined) problems.push(`tests[${i}].duration: services need a duration (how long the supervisor runs)`);
    if (metrics.length === 0 && (tc.logs ?? []).length === 0 && (tc.processes ?? []).length === 0 && Object.keys(services).length === 0)
      problems.push(`tests[${i}]: no inputs (give metrics, processes, logs, services)`);
    return { name: tc.name, metrics, processes: tc.processes ?? [], logs: tc.logs ?? [], services, duration: tc.duration, expect: tc.expect };
  });
  if (problems.length > 0 || !config) throw new ConfigError(problems, { source: path });
  return { path, config, intervalMs: file.interval ?? config.performance.check_interval, tests };
};
