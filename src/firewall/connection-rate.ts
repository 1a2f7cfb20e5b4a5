/**
 * Connection rates as the config writes them (`10/s`, `30/m`, `0.5/s`) and as nft
 * counts them: whole connections per second, minute or hour. The config's `rate` codec
 * and the rate limiter both read rates here, so what the config accepts is exactly what
 * the firewall can do.
 */
import { ConfigError } from '../errors.js';

export interface ConnectionRate {
  count: number;
  per: 'second' | 'minute' | 'hour';
}

export const secondsPer: Readonly<Record<ConnectionRate['per'], number>> = { second: 1, minute: 60, hour: 3600 };

const units: readonly [string, ConnectionRate['per']][] = [
  ['s', 'second'],
  ['m', 'minute'],
  ['h', 'hour'],
];

/** Why `text` is not a rate, or null when it is one. */
export const connectionRateProblem = (text: string): string | null => {
  const m = /^(\d+(?:\.\d+)?)\/([smh])$/.exec(text.trim());
  return m && Number(m[1]) > 0 ? null : `expected a rate above 0 like "10/s" (per s, m or h), got ${JSON.stringify(text)}`;
};

/**
 * `10/s` → 10 per second. A fraction moves to the next longer unit (`0.5/s` → 30 per
 * minute), rounded at the hour; `at` names the config place in the error.
 */
export const parseConnectionRate = (text: string, at = 'rate'): ConnectionRate => {
  const problem = connectionRateProblem(text);
  if (problem) throw new ConfigError([`${at}: ${problem}`]);
  const [n, u] = text.trim().split('/') as [string, string];
  const start = units.findIndex(([x]) => x === u);
  const perSecond = Number(n) / secondsPer[units[start]![1]];
  const longer = units.slice(start).map(([, per]) => per);
  const per = longer.find((p) => Number.isInteger(perSecond * secondsPer[p])) ?? 'hour';
  return { count: Math.max(1, Math.round(perSecond * secondsPer[per])), per };
};

export const formatRate = (r: ConnectionRate): string => `${r.count}/${r.per[0]}`;
