/**
 * Per-source new-connection limits in PanicMode's nftables table: the `rate_limit`
 * action's answer to an IP incident, a lighter hand than a ban. A limited source may
 * still connect, `rate` times per unit (a burst of 5 first, nft's default), and its new
 * connections above that are dropped; established ones are never touched.
 *
 * ```
 * table inet panicmode {                       # the ban backend's table (nft-backend.ts)
 *   set rl_10_second_v4 { type ipv4_addr; flags interval, timeout; }   # limited sources
 *   set rl_10_second_m4 { type ipv4_addr; flags dynamic, timeout; timeout 1m; }  # a meter per source
 *   (and _v6/_m6)
 *   chain rate_limit { type filter hook input priority filter - 5; policy accept;
 *     ip saddr @rl_10_second_v4 ct state new update @rl_10_second_m4 { ip saddr limit rate over 10/second } drop
 *     ... one rule per family and rate }
 * }
 * ```
 *
 * One pair of sets per rate, because a rule's limit is fixed: the rates are the ones the
 * config names, known at start. The chain hooks after the ban chain (priority -5 after
 * -10), so a banned source is dropped before it is metered. The limit is a set element
 * with a timeout, like a ban: the kernel lifts it on time even when the agent is down,
 * and the sets themselves say what is in force (`list`), so nothing needs a database
 * row to survive a restart; each run is recorded in `action_runs` by the executor.
 *
 * Why not a kind of ban in the ban manager: a ban is a verdict whose length grows with
 * the offender's history, widens a v6 /64 to /48, feeds recidive and is reconciled
 * against `blocked_ips` (which would re-ban a limited address as a "missing" ban). A
 * limit is a flat traffic shape with a rate. What they share is reused, not copied:
 * the table, the nft runner, the never-block list and the address parser.
 */
import { asyncScheduler, type SchedulerLike } from 'rxjs';
import type { NftRunner } from './nft-runner.js';
import { admitted, type NeverBlock } from './never-block.js';
import type { Logger } from '../log/logger.js';
import { parseTarget, prefixOf, targetOf, type BanTarget } from './address.js';
import { nftTimeout, parseSetListing } from './nft-backend.js';
import { ActionError } from '../errors.js';
import { formatRate, secondsPer, type ConnectionRate } from './connection-rate.js';
import { formatDuration } from '../config/duration.js';
import type { AddressRefusals } from './ban-manager.js';

/** The sets of one rate: `rl_10_second`. */
const classOf = (r: ConnectionRate) => `rl_${r.count}_${r.per}`;
const limitedSet = (r: ConnectionRate, family: 4 | 6) => `${classOf(r)}_v${family}`;
const meterSet = (r: ConnectionRate, family: 4 | 6) => `${classOf(r)}_m${family}`;

const RATE_LIMIT_CHAIN = 'rate_limit';

/**
 * The batch that creates the sets and the chain for these rates; idempotent (adds what
 * is missing, rewrites only its own chain). A meter entry outlives two units of its
 * rate, or a source that pauses would come back with a fresh bucket.
 */
export const rateLimitSetupBatch = (table: string, rates: readonly ConnectionRate[]): string => {
  const lines = [`add table inet ${table}`];
  for (const r of rates) {
    const meterTimeout = nftTimeout(Math.max(60_000, 2 * 1000 * secondsPer[r.per]));
    for (const f of [4, 6] as const) {
      const type = f === 4 ? 'ipv4_addr' : 'ipv6_addr';
      lines.push(`add set inet ${table} ${limitedSet(r, f)} { type ${type}; flags interval, timeout; }`);
      lines.push(`add set inet ${table} ${meterSet(r, f)} { type ${type}; flags dynamic, timeout; timeout ${meterTimeout}; }`);
    }
  }
  lines.push(`add chain inet ${table} ${RATE_LIMIT_CHAIN} { type filter hook input priority filter - 5; policy accept; }`);
  lines.push(`flush chain inet ${table} ${RATE_LIMIT_CHAIN}`);
  for (const r of rates) {
    for (const [f, ip] of [[4, 'ip'], [6, 'ip6']] as const) {
      lines.push(
        `add rule inet ${table} ${RATE_LIMIT_CHAIN} ${ip} saddr @${limitedSet(r, f)} ct state new update @${meterSet(r, f)} { ${ip} saddr limit rate over ${r.count}/${r.per} } drop`,
      );
    }
  }
  return lines.join('\n') + '\n';
};

/** One source to limit, for `limitBatch`. */
export interface LimitEntry {
  target: string;
  /** ms from now; null = until lifted */
  timeoutMs: number | null;
}

/** `add element` for sources under one rate; targets must be canonical (re-checked). */
export const limitBatch = (table: string, rate: ConnectionRate, entries: readonly LimitEntry[]): string => {
  const bySet = new Map<string, string[]>();
  for (const e of entries) {
    const t = parseTarget(e.target);
    if (!t || t.text !== e.target) throw new ActionError('rate_limit', `refusing to put ${JSON.stringify(e.target)} in an nft batch: not a canonical IP address or CIDR block`);
    const set = limitedSet(rate, t.family);
    bySet.set(set, [...(bySet.get(set) ?? []), e.timeoutMs === null ? t.text : `${t.text} timeout ${nftTimeout(e.timeoutMs)}`]);
  }
  return [...bySet].map(([set, els]) => `add element inet ${table} ${set} { ${els.join(', ')} }\n`).join('');
};

/** A limit as shown to people. */
export interface LimitView {
  ip: string;
  rate: string;
  limited_at: number;
  /** unix ms; null = until lifted */
  expires_at: number | null;
}

export interface LimitResult extends AddressRefusals {
  limited: LimitView[];
}

export interface LimitOptions {
  rate: ConnectionRate;
  /** ms; null = until lifted */
  durationMs: number | null;
  reason: string;
}

export interface RateLimiter {
  /** The rates this limiter serves (a limit at any other rate is refused). */
  readonly rates: readonly ConnectionRate[];
  /** true when it only says what it would do (firewall.dry_run or the agent's dry-run) */
  readonly dryRun: boolean;
  /** Creates the sets and the chain, and learns the limits already in force. */
  start(): Promise<void>;
  limit(ips: readonly string[], options: LimitOptions): Promise<LimitResult>;
  /** What limit() would do, changing nothing. */
  plan(ips: readonly string[], options: LimitOptions): Promise<LimitResult>;
  /** Limits in force. */
  list(): Promise<LimitView[]>;
}

export interface RateLimiterDeps {
  run: NftRunner;
  /** `firewall.nft_table` (default panicmode) */
  table?: string;
  /** the rates of every rate_limit action in the config */
  rates: readonly ConnectionRate[];
  neverBlock: NeverBlock;
  /** `firewall.ipv6_prefix`: a v6 source is limited as this prefix (one meter per address in it) */
  ipv6Prefix: number;
  logger: Logger;
  dryRun?: boolean;
  /** the pipeline's clock */
  scheduler?: SchedulerLike;
}

const emptyResult = (): LimitResult => ({ limited: [], already: [], skipped: [], invalid: [], failed: [] });

export const createRateLimiter = (deps: RateLimiterDeps): RateLimiter => {
  const table = deps.table ?? 'panicmode';
  const { logger, neverBlock } = deps;
  const scheduler = deps.scheduler ?? asyncScheduler;
  const rates = deps.rates.filter((r, i) => deps.rates.findIndex((q) => classOf(q) === classOf(r)) === i);
  /** limits in force by `<class> <target>`: the memory of what the sets hold */
  const active = new Map<string, LimitView>();
  const keyOf = (r: ConnectionRate, target: string) => `${classOf(r)} ${target}`;
  const live = (v: LimitView, t: number) => v.expires_at === null || v.expires_at > t;

  const batch = async (text: string) => {
    const r = await deps.run(['-f', '-'], text);
    if (r.code !== 0) throw new Error(r.stderr.trim().split('\n')[0] || `nft exited ${r.code}`);
  };

  /** The prefix a v6 source is limited as, or the address itself when that prefix holds something protected. */
  const targetFor = (addr: BanTarget): BanTarget => {
    if (addr.family === 4 || deps.ipv6Prefix >= 128) return addr;
    const wide = targetOf(prefixOf(addr.cidr, deps.ipv6Prefix));
    return neverBlock.reasonNotToBlock(wide) ? addr : wide;
  };

  const decide = (ips: readonly string[], o: LimitOptions, result: LimitResult): LimitView[] => {
    if (!rates.some((r) => classOf(r) === classOf(o.rate))) throw new ActionError('rate_limit', `no nft sets for rate ${formatRate(o.rate)} (the limiter was built for ${rates.map(formatRate).join(', ') || 'no rate'})`);
    const t = scheduler.now();
    for (const [k, v] of active) if (!live(v, t)) active.delete(k); // the kernel has lifted these
    const out: LimitView[] = [];
    for (const input of ips) {
      const addr = admitted(input, neverBlock, result);
      if (!addr) continue;
      const target = targetFor(addr);
      const held = active.get(keyOf(o.rate, target.text));
      if ((held && live(held, t)) || out.some((v) => v.ip === target.text)) {
        result.already.push({ ip: addr.text, by: target.text });
        continue;
      }
      out.push({ ip: target.text, rate: formatRate(o.rate), limited_at: t, expires_at: o.durationMs === null ? null : t + o.durationMs });
    }
    return out;
  };

  const say = (v: LimitView, verb: string, reason: string) =>
    logger.info(`${verb} ${v.ip} to ${v.rate} new connections ${v.expires_at === null ? 'until lifted' : 'for ' + formatDuration(v.expires_at - v.limited_at)} (${reason})`);

  const apply = async (o: LimitOptions, views: LimitView[], result: LimitResult) => {
    const entry = (v: LimitView): LimitEntry => ({ target: v.ip, timeoutMs: v.expires_at === null ? null : Math.max(1, v.expires_at - v.limited_at) });
    const done = (v: LimitView) => {
      result.limited.push(v);
      say(v, 'limited', o.reason);
    };
    const failed = (v: LimitView, err: unknown) => {
      active.delete(keyOf(o.rate, v.ip));
      result.failed.push({ ip: v.ip, error: (err as Error).message });
    };
    try {
      await batch(limitBatch(table, o.rate, views.map(entry)));
      views.forEach(done);
      return;
    } catch (err) {
      if (views.length > 1) logger.debug('nft limit batch refused, retrying one by one', { error: (err as Error).message });
      else return failed(views[0]!, err);
    }
    for (const v of views) {
      try {
        await batch(limitBatch(table, o.rate, [entry(v)]));
        done(v);
      } catch (err) {
        failed(v, err);
      }
    }
  };

  /** Limits the kernel holds now, with their expiry: the source of truth after a restart. */
  const held = async (): Promise<{ rate: ConnectionRate; view: LimitView }[]> => {
    const t = scheduler.now();
    const out: { rate: ConnectionRate; view: LimitView }[] = [];
    for (const r of rates) {
      for (const f of [4, 6] as const) {
        const res = await deps.run(['-j', 'list', 'set', 'inet', table, limitedSet(r, f)]);
        if (res.code !== 0) throw new ActionError('rate_limit', `nft list set inet ${table} ${limitedSet(r, f)}: ${res.stderr.trim()}`);
        for (const h of parseSetListing(res.stdout)) {
          // nft reports whole seconds left: the start is unknown, shown as now.
          out.push({ rate: r, view: { ip: h.target, rate: formatRate(r), limited_at: t, expires_at: h.expiresInMs === null ? null : t + h.expiresInMs } });
        }
      }
    }
    return out;
  };

  return {
    rates,
    dryRun: deps.dryRun ?? false,
    start: async () => {
      if (deps.dryRun || rates.length === 0) return;
      try {
        await batch(rateLimitSetupBatch(table, rates));
      } catch (err) {
        throw new ActionError('rate_limit', `cannot set up the rate limits in nftables table inet ${table}: ${(err as Error).message}`, { cause: err });
      }
      for (const { rate, view } of await held()) active.set(keyOf(rate, view.ip), view);
    },
    limit: async (ips, o) => {
      const result = emptyResult();
      const views = decide(ips, o, result);
      for (const s of result.skipped) logger.info(`not limiting ${s.ip}: ${s.reason}`);
      if (views.length === 0) return result;
      if (deps.dryRun) {
        for (const v of views) say(v, 'would limit', o.reason);
        result.limited.push(...views);
        return result;
      }
      // Held from the decision on, so a second incident meanwhile finds them "already limited".
      for (const v of views) active.set(keyOf(o.rate, v.ip), v);
      await apply(o, views, result);
      return result;
    },
    plan: async (ips, o) => {
      const result = emptyResult();
      result.limited.push(...decide(ips, o, result));
      return result;
    },
    list: async () => {
      const t = scheduler.now();
      return [...active.values()].filter((v) => live(v, t)).sort((a, b) => a.limited_at - b.limited_at);
    },
  };
};
