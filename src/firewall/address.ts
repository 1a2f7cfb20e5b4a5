/**
 * IP addresses and CIDR prefixes as values: parsing (strict, v4 and v6, compressed
 * forms, IPv4-mapped `::ffff:1.2.3.4` taken as the v4 address it carries), canonical
 * text, containment and prefix arithmetic. Pure: no I/O, no Node APIs.
 *
 * Everything that ends up as an argument to a firewall script or in an nft batch goes
 * through `parseTarget` first, and only its canonical text is ever passed on: a string
 * such as `1.2.3.4; rm -rf /` is not an address and never gets further than here.
 */
import { formatIpv6Groups } from '../net/ipv6-text.js';

export type Family = 4 | 6;

/** One address: its family and its bytes (4 or 16), plus canonical text. */
export interface Address {
  readonly family: Family;
  readonly bytes: Uint8Array;
  /** canonical text: dotted quad, or RFC 5952 compressed lower-case v6 */
  readonly text: string;
}

/** A prefix (network): the address with host bits cleared, and its length. */
export interface Cidr {
  readonly family: Family;
  readonly bytes: Uint8Array;
  readonly prefix: number;
  /** canonical text, always with `/len` (`10.0.0.0/8`, `2001:db8::/64`) */
  readonly text: string;
}

const V4_PART = /^(0|[1-9]\d{0,2})$/;

const parseV4Bytes = (s: string): Uint8Array | null => {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    // Leading zeros are refused: `010.0.0.1` is octal to some tools and decimal to others.
    if (!V4_PART.test(parts[i]!)) return null;
    const n = Number(parts[i]);
    if (n > 255) return null;
    out[i] = n;
  }
  return out;
};

const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

const parseV6Bytes = (input: string): Uint8Array | null => {
  let s = input;
  if (s.length < 2 || s.length > 45) return null;
  // A trailing dotted quad (`::ffff:1.2.3.4`, `64:ff9b::192.0.2.1`) is rewritten as
  // the two hex groups it stands for, so the rest only deals with groups.
  if (s.includes('.')) {
    const lastColon = s.lastIndexOf(':');
    const tail = parseV4Bytes(s.slice(lastColon + 1));
    if (!tail) return null;
    const hi = ((tail[0]! << 8) | tail[1]!).toString(16);
    const lo = ((tail[2]! << 8) | tail[3]!).toString(16);
    s = `${s.slice(0, lastColon + 1)}${hi}:${lo}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const toGroups = (h: string): string[] | null => {
    if (h === '') return [];
    const g = h.split(':');
    return g.every((x) => HEX_GROUP.test(x)) ? g : null;
  };
  let groups: string[];
  if (halves.length === 2) {
    const head = toGroups(halves[0]!);
    const rest = toGroups(halves[1]!);
    if (!head || !rest) return null;
    const missing = 8 - head.length - rest.length;
    if (missing < 1) return null;
    groups = [...head, ...Array<string>(missing).fill('0'), ...rest];
  } else {
    const all = toGroups(s);
    if (!all) return null;
    groups = all;
  }
  if (groups.length !== 8) return null;
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    const n = parseInt(g, 16);
    out[i * 2] = n >> 8;
    out[i * 2 + 1] = n & 0xff;
  });
  return out;
};

const formatV4 = (b: Uint8Array): string => `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;

/** RFC 5952 text of 16 bytes. */
const formatV6 = (b: Uint8Array): string => {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((b[i]! << 8) | b[i + 1]!);
  return formatIpv6Groups(groups);
};

const isV4Mapped = (b: Uint8Array): boolean => {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
};

const makeAddress = (family: Family, bytes: Uint8Array): Address => ({
  family,
  bytes,
  text: family === 4 ? formatV4(bytes) : formatV6(bytes),
});

/**
 * Parses an IP address. Accepts dotted-quad v4 and any valid v6 text (compressed,
 * upper case, embedded dotted quad, a `%zone` suffix which is dropped). An IPv4-mapped
 * v6 address is returned as the v4 address. Returns null for anything else.
 */
export const parseAddress = (text: string): Address | null => {
  if (typeof text !== 'string') return null;
  let s = text.trim();
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  if (!s.includes(':')) {
    const v4 = parseV4Bytes(s);
    return v4 ? makeAddress(4, v4) : null;
  }
  const zone = s.indexOf('%');
  if (zone !== -1) {
    // Zones name an interface (`fe80::1%eth0`); only link-local addresses carry one.
    if (!/^[A-Za-z0-9_.-]{1,32}$/.test(s.slice(zone + 1))) return null;
    s = s.slice(0, zone);
  }
  const v6 = parseV6Bytes(s);
  if (!v6) return null;
  if (isV4Mapped(v6)) return makeAddress(4, v6.slice(12));
  return makeAddress(6, v6);
};

const maskBytes = (bytes: Uint8Array, prefix: number): Uint8Array => {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    const bits = Math.max(0, Math.min(8, prefix - i * 8));
    out[i] = bits === 0 ? 0 : bytes[i]! & ((0xff << (8 - bits)) & 0xff);
  }
  return out;
};

/** The family's address width in bits. */
export const familyBits = (family: Family): number => (family === 4 ? 32 : 128);

/** The network of `address` at `prefix` bits (`prefixOf(2001:db8::1, 64)` → `2001:db8::/64`). */
export const prefixOf = (address: Address | Cidr, prefix: number): Cidr => {
  const max = familyBits(address.family);
  const len = Math.max(0, Math.min(max, Math.floor(prefix)));
  const bytes = maskBytes(address.bytes, len);
  return { family: address.family, bytes, prefix: len, text: `${makeAddress(address.family, bytes).text}/${len}` };
};

/**
 * Parses `addr/len` or a bare address (taken as a host prefix, /32 or /128). Host bits
 * are cleared (`10.1.2.3/8` → `10.0.0.0/8`), as nftables would otherwise refuse it.
 * An IPv4-mapped v6 prefix of /96 or longer becomes the v4 prefix. Null when invalid.
 */
export const parseCidr = (text: string): Cidr | null => {
  if (typeof text !== 'string') return null;
  const s = text.trim();
  const slash = s.indexOf('/');
  if (slash === -1) {
    const a = parseAddress(s);
    return a ? prefixOf(a, familyBits(a.family)) : null;
  }
  const bits = s.slice(slash + 1);
  if (!/^\d{1,3}$/.test(bits)) return null;
  const addrText = s.slice(0, slash);
  if (addrText.includes('%')) return null;
  let len = Number(bits);
  const raw = addrText.includes(':') ? parseV6Bytes(addrText.replace(/^\[|\]$/g, '')) : parseV4Bytes(addrText);
  if (!raw) return null;
  if (raw.length === 16 && isV4Mapped(raw)) {
    if (len > 128) return null;
    if (len >= 96) return prefixOf(makeAddress(4, raw.slice(12)), len - 96);
    return prefixOf(makeAddress(6, raw), len);
  }
  const family: Family = raw.length === 4 ? 4 : 6;
  if (len > familyBits(family)) return null;
  len = Math.floor(len);
  return prefixOf(makeAddress(family, raw), len);
};

/** Whether `cidr` contains the address or the whole of the prefix `inner`. */
export const cidrContains = (cidr: Cidr, inner: Address | Cidr): boolean => {
  if (cidr.family !== inner.family) return false;
  const innerLen = 'prefix' in inner ? inner.prefix : familyBits(inner.family);
  if (innerLen < cidr.prefix) return false;
  const masked = maskBytes(inner.bytes, cidr.prefix);
  for (let i = 0; i < masked.length; i++) if (masked[i] !== cidr.bytes[i]) return false;
  return true;
};


/** Whether a prefix is a single host (/32 or /128). */
export const isHostPrefix = (c: Cidr): boolean => c.prefix === familyBits(c.family);

/**
 * What a ban is about: one address or one prefix, in canonical text. A host prefix is
 * written as the bare address (`1.2.3.4`, not `1.2.3.4/32`), so one thing has one key.
 */
export interface BanTarget {
  readonly family: Family;
  readonly cidr: Cidr;
  /** canonical text: the address for a host, `net/len` otherwise */
  readonly text: string;
}

/** A target from a parsed prefix (host prefixes become bare addresses). */
export const targetOf = (cidr: Cidr): BanTarget => ({
  family: cidr.family,
  cidr,
  text: isHostPrefix(cidr) ? makeAddress(cidr.family, cidr.bytes).text : cidr.text,
});

/** Parses an address or CIDR into a ban target; null for anything else. */
export const parseTarget = (text: string): BanTarget | null => {
  const c = parseCidr(text);
  return c ? targetOf(c) : null;
};
