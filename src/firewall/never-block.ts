/**
 * The never-block list: addresses PanicMode refuses to ban whatever a log says, so a
 * forged or misparsed line can never lock the operator (or the machine itself) out.
 * Loopback, private and shared ranges, link-local, unique-local, unspecified, multicast
 * and reserved space, the machine's own addresses, and `firewall.whitelist`; and any
 * prefix wider than WIDEST_BAN_PREFIX, whatever it holds.
 *
 * Pure apart from the injected source of own addresses (os.networkInterfaces by default,
 * read at every call so an address added after start is still protected).
 */
import { networkInterfaces } from 'node:os';
import { cidrContains, familyBits, isHostPrefix, parseAddress, parseCidr, parseTarget, type Address, type Cidr, type BanTarget } from './address.js';
import { ConfigError } from '../errors.js';

/** Built-in ranges that are never banned, each with the reason logged on a skip. */
const builtinRanges: readonly (readonly [string, string])[] = [
  ['127.0.0.0/8', 'loopback address'],
  ['::1/128', 'loopback address'],
  ['0.0.0.0/8', 'unspecified address ("this network", RFC 1122)'],
  ['::/128', 'unspecified address'],
  ['10.0.0.0/8', 'RFC 1918 private address'],
  ['172.16.0.0/12', 'RFC 1918 private address'],
  ['192.168.0.0/16', 'RFC 1918 private address'],
  ['100.64.0.0/10', 'CGNAT shared address (RFC 6598)'],
  ['169.254.0.0/16', 'link-local address'],
  ['fe80::/10', 'link-local address'],
  ['fc00::/7', 'unique-local IPv6 address (RFC 4193)'],
  ['224.0.0.0/4', 'multicast address'],
  ['ff00::/8', 'multicast address'],
  ['240.0.0.0/4', 'reserved address (240/4, broadcast included)'],
];

/**
 * The widest ban allowed: /8 for IPv4 (a former class A, 16.7 million addresses), /32 for
 * IPv6 (what a regional registry allocates to a whole ISP). No incident justifies cutting
 * off more than that, and a slip such as `0.0.0.0/0` would cut off the world.
 */
export const WIDEST_BAN_PREFIX: Readonly<Record<4 | 6, number>> = { 4: 8, 6: 32 };

const builtins: readonly { cidr: Cidr; reason: string }[] = builtinRanges.map(([c, reason]) => ({ cidr: parseCidr(c)!, reason }));

/** Addresses of this machine's interfaces, as os.networkInterfaces reports them. */
export const systemOwnAddresses = (): string[] =>
  Object.values(networkInterfaces())
    .flatMap((list) => list ?? [])
    .map((i) => i.address);

export interface NeverBlockOptions {
  /** `firewall.whitelist`: addresses and CIDR blocks, v4 and v6 */
  whitelist: readonly string[];
  /** the machine's own addresses; default: os.networkInterfaces() at each call */
  ownAddresses?: () => readonly string[];
}

export interface NeverBlock {
  /**
   * Why `target` (an address or a prefix) must not be banned, or null when it may be.
   * A prefix is refused when it overlaps any protected range or whitelist entry, or
   * contains one of our own addresses: banning 2001:db8::/64 must not cut off the
   * machine's own 2001:db8::10.
   */
  reasonNotToBlock(target: BanTarget): string | null;
}

/** Where an input a ban or a limit refused is noted (AddressRefusals' first two lists). */
export interface Refused {
  invalid: string[];
  skipped: { ip: string; reason: string }[];
}

/**
 * Pure over `neverBlock`: the address an input names, if a ban or a connection limit may
 * act on it; otherwise null, with why noted in `refused` — not an address, or a prefix
 * where `prefixes` is false (`invalid`); on the never-block list (`skipped`). Bans and
 * limits screen their inputs with this one rule.
 */
export const admitted = (input: unknown, neverBlock: NeverBlock, refused: Refused, prefixes = false): BanTarget | null => {
  const addr = parseTarget(String(input));
  if (!addr || (!prefixes && addr.cidr.prefix !== familyBits(addr.family))) {
    refused.invalid.push(String(input));
    return null;
  }
  const why = neverBlock.reasonNotToBlock(addr);
  if (why) {
    refused.skipped.push({ ip: addr.text, reason: why });
    return null;
  }
  return addr;
};

/**
 * Builds the classifier. Throws ConfigError naming the entry (`firewall.whitelist[2]`)
 * when a whitelist entry is not an address or CIDR block.
 */
export const createNeverBlock = (options: NeverBlockOptions): NeverBlock => {
  const problems: string[] = [];
  const whitelist: { cidr: Cidr; entry: string }[] = [];
  options.whitelist.forEach((entry, i) => {
    const cidr = parseCidr(entry);
    if (!cidr) problems.push(`firewall.whitelist[${i}]: expected an IP address or CIDR block, got ${JSON.stringify(entry)}`);
    else whitelist.push({ cidr, entry });
  });
  if (problems.length > 0) throw new ConfigError(problems);
  const own = options.ownAddresses ?? systemOwnAddresses;

  return {
    reasonNotToBlock(target) {
      const c = target.cidr;
      const widest = WIDEST_BAN_PREFIX[c.family];
      if (c.prefix < widest) return `too broad: /${c.prefix} is wider than /${widest}, the widest IPv${c.family} ban allowed`;
      // A prefix wider than what it hits is named by what it contains, not as if it were it.
      const host = isHostPrefix(c);
      for (const b of builtins) {
        if (cidrContains(b.cidr, c)) return b.reason;
        if (cidrContains(c, b.cidr)) return `contains ${b.cidr.text} (${b.reason})`;
      }
      for (const w of whitelist) {
        if (cidrContains(w.cidr, c)) return `whitelisted (firewall.whitelist: ${w.entry})`;
        if (cidrContains(c, w.cidr)) return `contains whitelisted ${w.cidr.text} (firewall.whitelist: ${w.entry})`;
      }
      for (const text of own()) {
        const a: Address | null = parseAddress(text);
        if (a && cidrContains(c, a)) return host ? `this machine's own address (${a.text})` : `contains this machine's own address (${a.text})`;
      }
      return null;
    },
  };
};
