/**
 * Custom metrics (`custom_metrics:`): each is a shell command (run through `/bin/sh -c`,
 * as the config writes shell, with its own timeout) whose stdout is a number, or JSON
 * `{"value": N}`.
 *
 * Each metric is a source of the metrics stream on its own cadence (on-cadence.ts): run
 * every `cache_ttl` (at least every check_interval; 0: every check_interval). A command
 * that fails, is killed at its timeout or prints something else leaves its metric absent
 * and degraded (`custom.<name>`), logged once per failure streak; the others go on. A
 * command slower than a tick keeps running; its value is in the first snapshot after it
 * answers.
 */
import type { Host } from '../host/host.js';
import { CollectorError } from '../errors.js';

export interface CustomMetricOptions {
  command: string;
  /** ms */
  timeout: number;
  /** ms; 0 runs the command every tick */
  cache_ttl: number;
  output_format: 'number' | 'json';
}

/** The `custom_metrics:` section, by metric name. */
export type CustomMetricsOptions = Record<string, CustomMetricOptions>;

/** Pure: a command's stdout → its value, or an error message saying what was wrong. */
export const parseCustomOutput = (
  stdout: string,
  format: 'number' | 'json',
): { value: number } | { error: string } => {
  const text = stdout.trim();
  const show = text.length > 80 ? `${text.slice(0, 80)}…` : text;
  if (format === 'number') {
    const v = text === '' ? NaN : Number(text);
    return Number.isFinite(v) ? { value: v } : { error: `expected a number on stdout, got "${show}"` };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { error: `expected JSON {"value": N} on stdout, got "${show}"` };
  }
  const v = (parsed as { value?: unknown } | null)?.value;
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n)
    ? { value: n }
    : { error: `expected JSON {"value": N} with a numeric value, got "${show}"` };
};

/** How often a custom metric's command runs: every cache_ttl, and not more often than the snapshots that read it. */
export const customMetricIntervalMs = (m: CustomMetricOptions, checkIntervalMs: number): number => Math.max(m.cache_ttl, checkIntervalMs);

/** Runs one custom metric's command once: its value, or a CollectorError saying what was wrong. */
export const runCustomMetric = async (host: Host, name: string, m: CustomMetricOptions): Promise<number> => {
  const r = await host.exec('/bin/sh', ['-c', m.command], { timeoutMs: m.timeout });
  if (r.timedOut) throw new CollectorError(`custom.${name}`, `killed at its timeout (${m.timeout} ms)`);
  if (r.signal) throw new CollectorError(`custom.${name}`, `killed by ${r.signal}`);
  if (r.code !== 0) {
    const err = r.stderr.trim().split('\n').pop() ?? '';
    throw new CollectorError(`custom.${name}`, `exit code ${r.code}${err ? `: ${err.slice(0, 200)}` : ''}`);
  }
  const out = parseCustomOutput(r.stdout, m.output_format);
  if ('error' in out) throw new CollectorError(`custom.${name}`, out.error);
  return out.value;
};
