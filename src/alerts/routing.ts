/**
 * Severity routing: which channels an alert of a given severity goes to. Pure: the
 * `alerts:` and `integrations:` config slices in, a routing table out.
 *
 * Every distinct route gets a stable channel key (`telegram`, then `telegram#2` for a
 * second telegram route with another target) so the outbox can key delivery per
 * (alert, channel) and the dispatcher can run one independent queue per key.
 */
import type { Severity } from '../model/incident.js';

/** One entry of `alerts.<severity>`: the channel, its retry budget and the overrides. */
export interface RouteLike {
  channel: string;
  /** retries after the first attempt (default 3) */
  retries?: number;
  /** per-attempt timeout in ms (default 10000) */
  timeout?: number;
  /** twilio: who is texted or called, each with its own attempt timeout and retries */
  contacts?: readonly { timeout?: number; retries?: number }[];
}

/** The `alerts:` slice, as in the YAML (emergency merges into critical). */
export interface AlertsSlice<R extends RouteLike = RouteLike> {
  critical?: readonly R[];
  warning?: readonly R[];
  info?: readonly R[];
  emergency?: readonly R[];
}

/** The `integrations:` slice: only `enabled` matters here. */
export type IntegrationsSlice = { readonly [name: string]: { readonly enabled?: boolean } | undefined };

/** A route with its defaults applied. */
export type ResolvedRoute<R extends RouteLike = RouteLike> = R & { retries: number; timeout: number };

/** One delivery target: the key the outbox and dispatcher use, and its route. */
export interface KeyedRoute<R extends RouteLike = RouteLike> {
  key: string;
  route: ResolvedRoute<R>;
  /** where it was first written, for messages: `alerts.critical[1]` */
  place: string;
}

export interface RoutingTable<R extends RouteLike = RouteLike> {
  /** Keys per severity, in config order, without duplicates. */
  bySeverity: Record<Severity, KeyedRoute<R>[]>;
  /** Every route of every severity once (what `alert test` sends to), in first-seen order. */
  all: KeyedRoute<R>[];
  /** key → route */
  byKey: Map<string, KeyedRoute<R>>;
}

export const DEFAULT_ROUTE_RETRIES = 3;
export const DEFAULT_ROUTE_TIMEOUT_MS = 10_000;

/**
 * The key under `integrations:` a channel takes its credentials and its `enabled` switch
 * from (twilio_sms/twilio_call share `twilio`).
 */
export const integrationOf = (channel: string): string => (channel === 'twilio_sms' || channel === 'twilio_call' ? 'twilio' : channel);

/** True unless the channel's integration says `enabled: false`. */
export const isChannelEnabled = (channel: string, integrations: IntegrationsSlice | undefined): boolean =>
  integrations?.[integrationOf(channel)]?.enabled !== false;

const withDefaults = <R extends RouteLike>(route: R): ResolvedRoute<R> => ({
  ...route,
  retries: route.retries ?? DEFAULT_ROUTE_RETRIES,
  timeout: route.timeout ?? DEFAULT_ROUTE_TIMEOUT_MS,
});

/** Canonical JSON (sorted keys, undefined dropped): two routes are the same target iff equal. */
const canonical = (value: unknown): string => {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
};

/**
 * Builds the routing table. Identical routes (same channel, target, retries and
 * timeout) share one key across severities, so a channel listed under both critical
 * and warning is one queue; a route differing in anything gets its own key.
 * Routes of disabled integrations are left out.
 */
export const buildRouting = <R extends RouteLike>(alerts: AlertsSlice<R>, integrations?: IntegrationsSlice): RoutingTable<R> => {
  const byIdentity = new Map<string, KeyedRoute<R>>();
  const perChannel = new Map<string, number>();
  const all: KeyedRoute<R>[] = [];
  const byKey = new Map<string, KeyedRoute<R>>();

  const keyed = (route: R, place: string): KeyedRoute<R> => {
    const resolved = withDefaults(route);
    const identity = canonical(resolved);
    const seen = byIdentity.get(identity);
    if (seen) return seen;
    const n = (perChannel.get(route.channel) ?? 0) + 1;
    perChannel.set(route.channel, n);
    const entry: KeyedRoute<R> = { key: n === 1 ? route.channel : `${route.channel}#${n}`, route: resolved, place };
    byIdentity.set(identity, entry);
    all.push(entry);
    byKey.set(entry.key, entry);
    return entry;
  };

  const forSeverity = (names: (keyof AlertsSlice)[]): KeyedRoute<R>[] => {
    const out: KeyedRoute<R>[] = [];
    for (const name of names) {
      for (const [i, route] of (alerts[name] ?? []).entries()) {
        if (!isChannelEnabled(route.channel, integrations)) continue;
        const entry = keyed(route, `alerts.${name}[${i}]`);
        if (!out.includes(entry)) out.push(entry);
      }
    }
    return out;
  };

  const bySeverity: Record<Severity, KeyedRoute<R>[]> = {
    critical: forSeverity(['critical', 'emergency']),
    warning: forSeverity(['warning']),
    info: forSeverity(['info']),
  };
  return { bySeverity, all, byKey };
};

/** Routes left out because their integration is disabled, with their place (for `alert test`). */
export const disabledRoutes = <R extends RouteLike>(alerts: AlertsSlice<R>, integrations?: IntegrationsSlice): { place: string; route: R }[] => {
  const seen = new Set<string>();
  return (['critical', 'emergency', 'warning', 'info'] as const).flatMap((name) =>
    (alerts[name] ?? []).flatMap((route, i) => {
      const identity = canonical(withDefaults(route));
      if (isChannelEnabled(route.channel, integrations) || seen.has(identity)) return [];
      seen.add(identity);
      return [{ place: `alerts.${name}[${i}]`, route }];
    }),
  );
};

/** The routes an alert of `severity` goes to. */
export const routesFor = <R extends RouteLike>(table: RoutingTable<R>, severity: Severity): KeyedRoute<R>[] => table.bySeverity[severity] ?? [];
