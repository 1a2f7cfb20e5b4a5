/**
 * The ban manager's decisions on the virtual clock, for rule tests: which target an
 * address is banned as, for how long, and whether a ban in force already covers it —
 * without a backend or a database. The real ban manager (firewall/ban-manager.ts)
 * cannot run on a virtual clock (its backend queue waits on setImmediate, its history
 * lives in SQLite), so this applies the same pure decisions it applies: the never-block
 * list (never-block.ts, without this machine's own addresses, which a test does not
 * have), the IPv6 ladder and growth for repeat offenders (firewall-options.ts), and
 * recidive (recidive.ts). Bans in force are compared with the scheduler's clock, so a
 * ban expires in virtual time and a repeat offender's next ban is longer.
 */
import type { FirewallConfig } from '../config/schema.js';
import { parseAddress, prefixOf, targetOf, cidrContains, parseTarget } from '../firewall/address.js';
import { banDuration, ipv6Ladder, DEFAULT_BAN_MS } from '../firewall/firewall-options.js';
import { recidiveDuration } from '../firewall/recidive.js';
import { createNeverBlock } from '../firewall/never-block.js';

export interface BanDecision {
  /** the address or prefix banned */
  ip: string;
  /** virtual ms; null: until lifted */
  until: number | null;
}

export interface BanDecisions {
  /** the bans put in force for these addresses now; already covered and never-blocked ones give none */
  block(ips: readonly string[], durationMs: number | undefined, now: number): BanDecision[];
}

export const createBanDecisions = (firewall: Pick<FirewallConfig, 'whitelist' | 'ban_duration' | 'ban_increment' | 'ipv6_prefix' | 'recidive'>): BanDecisions => {
  const neverBlock = createNeverBlock({ whitelist: firewall.whitelist, ownAddresses: () => [] });
  const ladder = ipv6Ladder(firewall.ipv6_prefix);
  const inForce = new Map<string, number | null>();
  /** ban times per offender (the address, or its ipv6_prefix network), for growth and recidive */
  const history = new Map<string, number[]>();

  const covered = (ip: string, now: number): boolean => {
    const a = parseAddress(ip);
    if (!a) return false;
    for (const [target, until] of inForce) {
      if (until !== null && until <= now) {
        inForce.delete(target);
        continue;
      }
      const t = parseTarget(target);
      if (t && t.family === a.family && cidrContains(t.cidr, a)) return true;
    }
    return false;
  };

  return {
    block: (ips, durationMs, now) => {
      const out: BanDecision[] = [];
      for (const ip of ips) {
        const a = parseAddress(ip);
        if (!a || covered(a.text, now)) continue;
        const offender = a.family === 6 ? targetOf(prefixOf(a, ladder[0]!)).text : a.text;
        if (neverBlock.reasonNotToBlock(targetOf(prefixOf(a, a.family === 4 ? 32 : 128))) !== null) continue;
        // growth counts every earlier ban (the row's ban_count); recidive only those in its window
        const past = history.get(offender) ?? [];
        const nth = past.length + 1;
        const prefix = a.family === 6 ? ladder[Math.min(nth - 1, ladder.length - 1)]! : 32;
        const target = targetOf(prefixOf(a, prefix));
        if (neverBlock.reasonNotToBlock(target) !== null) continue;
        const base = durationMs ?? firewall.ban_duration ?? DEFAULT_BAN_MS;
        const inWindow = past.filter((t) => now - t < firewall.recidive.window).length + 1;
        const length = recidiveDuration(banDuration(base, nth, firewall.ban_increment), inWindow, firewall.recidive);
        const until = length === null ? null : now + length;
        history.set(offender, [...past, now]);
        inForce.set(target.text, until);
        out.push({ ip: target.text, until });
      }
      return out;
    },
  };
};
