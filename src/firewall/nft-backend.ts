/**
 * The built-in nftables backend. Everything lives in PanicMode's own table
 * (`inet panicmode` unless `firewall.nft_table` says otherwise):
 *
 * ```
 * table inet panicmode {
 *   set banned_v4 { type ipv4_addr; flags interval, timeout; }   # addresses and prefixes
 *   set banned_v6 { type ipv6_addr; flags interval, timeout; }
 *   chain input { type filter hook input priority filter - 10; policy accept;
 *     ip saddr @banned_v4 drop
 *     ip6 saddr @banned_v6 drop }
 * }
 * ```
 *
 * A ban is a set element with a timeout: the kernel lifts it on time even if the agent
 * is down. A burst of bans is one `nft -f -` batch (one process, one netlink
 * transaction); when the batch is refused (an element overlapping one already there),
 * the elements are retried one by one so only the bad one fails. Nothing outside the
 * table is ever touched and the ruleset is never flushed: `start()` only adds what is
 * missing and rewrites the two rules of its own chain.
 */
import type { BanEntry, FirewallBackend, HeldBan, TargetFailure } from './backend.js';
import type { NftRunner } from './nft-runner.js';
import { parseTarget, type BanTarget } from './address.js';
import { ActionError, ConfigError } from '../errors.js';
import { formatDuration } from '../config/duration.js';
import type { Logger } from '../log/logger.js';

export interface NftBackendOptions {
  run: NftRunner;
  /** `firewall.nft_table` */
  table?: string;
  logger: Logger;
}

export const SET_V4 = 'banned_v4';
export const SET_V6 = 'banned_v6';

/** nft time text from ms (at least `1ms`): `3600000` → `3600000ms` is valid but `1h` reads better in `nft list`. */
export const nftTimeout = (ms: number): string => formatDuration(Math.max(1, ms));

/** The batch that creates the table, sets and chain; idempotent (add, then rewrite our own chain). */
export const setupBatch = (table: string): string =>
  [
    `add table inet ${table}`,
    `add set inet ${table} ${SET_V4} { type ipv4_addr; flags interval, timeout; }`,
    `add set inet ${table} ${SET_V6} { type ipv6_addr; flags interval, timeout; }`,
    `add chain inet ${table} input { type filter hook input priority filter - 10; policy accept; }`,
    `flush chain inet ${table} input`,
    `add rule inet ${table} input ip saddr @${SET_V4} drop`,
    `add rule inet ${table} input ip6 saddr @${SET_V6} drop`,
    '',
  ].join('\n');

const validTarget = (text: string): BanTarget => {
  const t = parseTarget(text);
  if (!t || t.text !== text) throw new ActionError('block_ip', `refusing to put ${JSON.stringify(text)} in an nft batch: not a canonical IP address or CIDR block`);
  return t;
};

const setOf = (t: BanTarget) => (t.family === 4 ? SET_V4 : SET_V6);

/** `add element` lines for a burst of bans, one per set. */
export const banBatch = (table: string, entries: readonly BanEntry[]): string => {
  const bySet = new Map<string, string[]>();
  for (const e of entries) {
    const t = validTarget(e.target);
    const el = e.timeoutMs === null ? t.text : `${t.text} timeout ${nftTimeout(e.timeoutMs)}`;
    const list = bySet.get(setOf(t)) ?? [];
    list.push(el);
    bySet.set(setOf(t), list);
  }
  return [...bySet].map(([set, els]) => `add element inet ${table} ${set} { ${els.join(', ')} }\n`).join('');
};

const deleteBatch = (table: string, targets: readonly string[]): string => {
  const bySet = new Map<string, string[]>();
  for (const text of targets) {
    const t = validTarget(text);
    const list = bySet.get(setOf(t)) ?? [];
    list.push(t.text);
    bySet.set(setOf(t), list);
  }
  return [...bySet].map(([set, els]) => `delete element inet ${table} ${set} { ${els.join(', ')} }\n`).join('');
};

interface NftJsonElem {
  elem?: { val: unknown; expires?: number; timeout?: number };
}

/** One `val` of `nft -j list set` in canonical target text (address, prefix or range start). */
const elementText = (val: unknown): string | null => {
  if (typeof val === 'string') return parseTarget(val)?.text ?? null;
  if (val && typeof val === 'object') {
    const v = val as { prefix?: { addr: string; len: number }; range?: [string, string] };
    if (v.prefix) return parseTarget(`${v.prefix.addr}/${v.prefix.len}`)?.text ?? null;
    // Ranges are not what PanicMode writes; reported by their first address so they show up as stale.
    if (v.range) return parseTarget(v.range[0])?.text ?? null;
  }
  return null;
};

/** Parses `nft -j list set ...` output into the bans it holds. */
export const parseSetListing = (json: string): HeldBan[] => {
  const doc = JSON.parse(json) as { nftables?: { set?: { elem?: (unknown | NftJsonElem)[] } }[] };
  const out: HeldBan[] = [];
  for (const item of doc.nftables ?? []) {
    for (const e of item.set?.elem ?? []) {
      const wrapped = e && typeof e === 'object' && 'elem' in (e as object) ? (e as NftJsonElem).elem! : null;
      const target = elementText(wrapped ? wrapped.val : e);
      if (!target) continue;
      // `expires` is in whole seconds in nft's JSON; absent for elements without a timeout.
      out.push({ target, expiresInMs: wrapped?.expires !== undefined ? wrapped.expires * 1000 : null });
    }
  }
  return out;
};

export const createNftBackend = (o: NftBackendOptions): FirewallBackend => {
  const table = o.table ?? 'panicmode';
  if (!/^[A-Za-z][A-Za-z0-9_]{0,31}$/.test(table))
    throw new ConfigError([`firewall.nft_table: expected a table name (letters, digits, _), got ${JSON.stringify(table)}`]);

  const batch = async (text: string) => {
    if (!text) return;
    const r = await o.run(['-f', '-'], text);
    if (r.code !== 0) throw new Error(r.stderr.trim().split('\n')[0] || `nft exited ${r.code}`);
  };

  /** One batch; when refused, one element at a time so only the bad ones fail. */
  const applyEach = async <T>(items: readonly T[], build: (items: readonly T[]) => string, targetOf: (item: T) => string, ignore?: RegExp): Promise<TargetFailure[]> => {
    const valid: T[] = [];
    const failures: TargetFailure[] = [];
    for (const item of items) {
      try {
        build([item]);
        valid.push(item);
      } catch (err) {
        failures.push({ target: targetOf(item), error: err as Error });
      }
    }
    if (valid.length === 0) return failures;
    try {
      await batch(build(valid));
      return failures;
    } catch (err) {
      if (valid.length === 1) {
        if (ignore?.test((err as Error).message)) return failures;
        return [...failures, { target: targetOf(valid[0]!), error: err as Error }];
      }
      o.logger.debug('nft batch refused, retrying element by element', { error: (err as Error).message });
    }
    for (const item of valid) {
      try {
        await batch(build([item]));
      } catch (err) {
        if (ignore?.test((err as Error).message)) continue;
        failures.push({ target: targetOf(item), error: err as Error });
      }
    }
    return failures;
  };

  const listSet = async (set: string): Promise<HeldBan[]> => {
    const r = await o.run(['-j', 'list', 'set', 'inet', table, set]);
    if (r.code !== 0) throw new ActionError('block_ip', `nft list set inet ${table} ${set}: ${r.stderr.trim()}`);
    return parseSetListing(r.stdout);
  };

  return {
    name: 'nftables',
    start: async () => {
      try {
        await batch(setupBatch(table));
      } catch (err) {
        throw new ActionError('block_ip', `cannot set up nftables table inet ${table}: ${(err as Error).message}`, { cause: err });
      }
    },
    check: async () => {
      await listSet(SET_V4);
      await listSet(SET_V6);
    },
    ban: (entries) => applyEach(entries, (es) => banBatch(table, es), (e) => e.target),
    // An element the kernel already timed out is "gone", which is what unban wants.
    unban: (targets) => applyEach(targets, (ts) => deleteBatch(table, ts), (t) => t, /does not exist|No such file/),
    list: async () => [...(await listSet(SET_V4)), ...(await listSet(SET_V6))],
    flush: async () => {
      await batch(`flush set inet ${table} ${SET_V4}\nflush set inet ${table} ${SET_V6}\n`);
    },
    stop: async () => {},
  };
};
