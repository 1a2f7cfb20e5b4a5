/**
 * Normalising the remote address captured from an sshd line, so one attacker is one
 * key: dotted quads pass as they are (checked by character codes: this runs once per
 * matched line of a replay); anything with a colon takes its canonical text from
 * firewall/address.ts, the one module that parses and writes addresses, so
 * `2001:DB8:0:0::1` and `2001:db8::1` count as one attacker and IPv4-mapped IPv6
 * (`::ffff:1.2.3.4`, what a dual-stack listener logs) as the IPv4 address. Anything that
 * is not an IP address (a host name logged with UseDNS, a forged fragment) yields null:
 * a name cannot be banned safely.
 */
import { parseAddress } from '../firewall/address.js';

/** For an address captured by an sshd pattern: its one canonical text, or null. */
export const normalizeMatchedAddress = (raw: string): string | null => {
  if (raw.indexOf(':') === -1) return isDottedQuad(raw, 0) ? raw : null;
  return parseAddress(raw)?.text ?? null;
};

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
