/**
 * The slices of the config the firewall reads, as narrow objects mirroring the YAML
 * (`firewall:` and `circuit_breakers:`), durations in milliseconds. The composition
 * root passes `config.firewall` and `config.circuit_breakers` straight in.
 */
import type { RecidiveOptions } from './recidive.js';

export interface FirewallOptions {
  enabled: boolean;
  backend: 'script' | 'nftables';
  block_script: string;
  unblock_script: string;
  restore_on_startup: boolean;
  ctl_socket: string;
  /** addresses and CIDR blocks never banned */
  whitelist: readonly string[];
  nft_table: string;
  /** default ban length when the action gives none (ms); default 1h */
  ban_duration?: number;
  ban_increment: { enabled: boolean; factor: number; /** ms */ max: number };
  /** v6 offenders are banned as this prefix (128 = the address only); default 64 */
  ipv6_prefix: number;
  dry_run: boolean;
  /** long bans for addresses banned many times lately (recidive.ts); default off */
  recidive?: RecidiveOptions;
}

export interface CircuitBreakerOptions {
  max_failures: number;
  failure_window: number;
  open_duration: number;
  max_concurrency: number;
  timeout: number;
}

export const defaultCircuitBreakers: CircuitBreakerOptions = {
  max_failures: 5,
  failure_window: 60_000,
  open_duration: 30_000,
  max_concurrency: 5,
  timeout: 10_000,
};

export const DEFAULT_BAN_MS = 3_600_000;

/**
 * The longest ban one asks for by its length, in the config (`ban_duration`, an action's
 * `duration`, `ban_increment.max`) and by `ctl ban --for`: a year. Past a year a mistaken
 * ban never heals, and far longer is a slip (`99999999999999999999999d` once made every
 * later `ctl list` fail on a date past year 275760).
 */
export const MAX_BAN_MS = 365 * 86_400_000;

/**
 * How long the n-th ban (1-based) of one offender lasts, like fail2ban's
 * bantime.increment: `base × factor^(n-1)`, never more than `max`.
 */
export const banDuration = (baseMs: number, n: number, increment: FirewallOptions['ban_increment']): number => {
  if (!increment.enabled || n <= 1 || increment.factor <= 1) return baseMs;
  const grown = baseMs * Math.pow(increment.factor, n - 1);
  return Math.min(Number.isFinite(grown) ? grown : Infinity, Math.max(increment.max, baseMs));
};

/**
 * The prefixes a v6 offender is banned as, offence after offence: /64, then /56, then
 * /48 for the default `ipv6_prefix: 64` (each step 8 bits wider, never wider than /32).
 * `128` means the single address, always.
 */
export const ipv6Ladder = (ipv6Prefix: number): number[] => {
  if (ipv6Prefix >= 128) return [128];
  const out: number[] = [];
  for (const p of [ipv6Prefix, ipv6Prefix - 8, ipv6Prefix - 16]) if (p >= 32 && !out.includes(p)) out.push(p);
  return out.length > 0 ? out : [ipv6Prefix];
};
