/**
 * Custom metrics (`custom_metrics:`): each is a shell command (run through `/bin/sh -c`,
 * as the config writes shell, with its own timeout) whose stdout is a number, or JSON
 * `{"value": N}`. Values are reused for `cache_ttl`. A command that fails, times out or
 * prints something else leaves its metric absent for that tick and is logged (once
 * per failure streak, with the reason; recovery is logged too), never failing the rest.
 *
 * A command slower than the tick's deadline keeps running; its value, when it comes,
 * is reported by the next tick (it stays usable for max(cache_ttl, interval)).
 */
import type { Host } from '../host/host.js';
import type { Logger } from '../log/logger.js';

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

export interface CustomMetricsReader {
  /**
   * Runs what is due and resolves by `deadlineMs` (monotonic ms, from host.monotonicMs)
   * with every value known now.
   */
  read(deadlineMs: number): Promise<Record<string, number>>;
}

interface MetricState {
  value?: number;
  /** monotonic ms the value was obtained */
  at?: number;
  running?: Promise<void>;
  failing?: string;
}

/**
 * Builds the reader. `freshMs` (the tick interval) is how long a value stays usable
 * when its cache_ttl is shorter, so a slow command's late value is not lost.
 */
export const createCustomMetricsReader = (
  host: Host,
  metrics: CustomMetricsOptions,
  options: { logger: Logger; freshMs: number },
): CustomMetricsReader => {
  const state = new Map<string, MetricState>(Object.keys(metrics).map((name) => [name, {}]));
  const { logger } = options;

  const fail = (name: string, s: MetricState, reason: string) => {
    if (s.failing !== reason) logger.error(`custom metric ${name} failed`, { reason });
    s.failing = reason;
    s.value = undefined;
    s.at = undefined;
  };

  const run = async (name: string, m: CustomMetricOptions, s: MetricState) => {
    try {
      const r = await host.exec('/bin/sh', ['-c', m.command], { timeoutMs: m.timeout });
      if (r.signal) return fail(name, s, `killed by ${r.signal} (timeout ${m.timeout} ms?)`);
      if (r.code !== 0) {
        const err = r.stderr.trim().split('\n').pop() ?? '';
        return fail(name, s, `exit code ${r.code}${err ? `: ${err.slice(0, 200)}` : ''}`);
      }
      const out = parseCustomOutput(r.stdout, m.output_format);
      if ('error' in out) return fail(name, s, out.error);
      if (s.failing) logger.info(`custom metric ${name} recovered`);
      s.failing = undefined;
      s.value = out.value;
      s.at = host.monotonicMs();
    } catch (err) {
      fail(name, s, (err as Error).message);
    }
  };

  return {
    read: async (deadlineMs) => {
      const now = host.monotonicMs();
      const pending: Promise<void>[] = [];
      for (const [name, m] of Object.entries(metrics)) {
        const s = state.get(name)!;
        const fresh = s.at !== undefined && now - s.at < m.cache_ttl;
        if (fresh) continue;
        if (!s.running) {
          s.running = run(name, m, s).finally(() => {
            s.running = undefined;
          });
        }
        pending.push(s.running);
      }
      if (pending.length > 0) {
        let timer: NodeJS.Timeout | undefined;
        const wait = Math.max(0, deadlineMs - now);
        await Promise.race([
          Promise.all(pending),
          new Promise<void>((resolve) => {
            timer = setTimeout(resolve, wait);
          }),
        ]);
        clearTimeout(timer);
      }
      const end = host.monotonicMs();
      const out: Record<string, number> = {};
      for (const [name, m] of Object.entries(metrics)) {
        const s = state.get(name)!;
        if (s.value !== undefined && s.at !== undefined && end - s.at < Math.max(m.cache_ttl, options.freshMs)) {
          out[name] = s.value;
        }
      }
      return out;
    },
  };
};
