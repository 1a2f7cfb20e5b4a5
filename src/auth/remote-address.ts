/**
 * Normalising the remote address captured from a log line, so one attacker is one key:
 * dotted quads pass as they are (checked by character codes: this runs once per matched
 * line of a replay); anything with a colon takes its canonical text from
 * firewall/address.ts, the one module that parses and writes addresses, so
 * `2001:DB8:0:0::1` and `2001:db8::1` count as one attacker and IPv4-mapped IPv6
 * (`::ffff:1.2.3.4`, what a dual-stack listener logs) as the IPv4 address. Anything that
 * is not an IP address (a host name logged with UseDNS, a forged fragment) yields null:
 * a name cannot be banned safely.
 */
import { parseAddress } from '../firewall/address.js';

/**
 * For a host captured by a filter pattern (an address or a name): the address in its
 * one canonical form (dotted quad; IPv6 as RFC 5952 text from the firewall's address
 * module, so one address is one key however it was written), or null for a name.
 */
export const normalizeMatchedAddress = (raw: string): string | null => {
  if (raw.indexOf(':') === -1) return isDottedQuad(raw, 0) ? raw : null;
  let text = v6Texts.get(raw);
  if (text === undefined) {
    if (v6Texts.size >= 4096) v6Texts.clear();
    text = parseAddress(raw)?.text ?? null;
    // a string of its own: the key must not keep a replay chunk alive
    v6Texts.set((' ' + raw).slice(1), text);
  }
  return text;
};

/** canonical texts of the colon forms seen last (parsing them is the slow part of a match) */
const v6Texts = new Map<string, string | null>();

/** IPv4 from `from` to the end: four decimal octets ≤ 255. */
export const isDottedQuad = (s: string, from: number): boolean => {
  let dots = 0;
  let octet = 0;
  let digits = 0;
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0) return false;
      dots++;
      octet = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      // a leading zero (`01`) is rejected like node's isIP: it reads as octal elsewhere
      if (digits === 1 && octet === 0) return false;
      octet = octet * 10 + (c - 48);
      if (++digits > 3 || octet > 255) return false;
    } else return false;
  }
  return dots === 3 && digits > 0;
};

/** A dotted quad's 32-bit value (≥ 0), or -1 when `s` is not one (same rules as isDottedQuad, in one pass). */
export const dottedQuadValue = (s: string): number => {
  let value = 0;
  let dots = 0;
  let octet = 0;
  let digits = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || ++dots > 3) return -1;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits === 1 && octet === 0) return -1;
      octet = octet * 10 + (c - 48);
      if (++digits > 3 || octet > 255) return -1;
    } else return -1;
  }
  return dots === 3 && digits > 0 ? value * 256 + octet : -1;
};

/** The dotted quad of a value from dottedQuadValue. */
export const dottedQuadText = (v: number): string => `${Math.floor(v / 16777216)}.${Math.floor(v / 65536) % 256}.${Math.floor(v / 256) % 256}.${v % 256}`;
