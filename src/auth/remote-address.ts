/**
 * Normalising the remote address captured from an sshd line, so one attacker is one
 * key: IPv4-mapped IPv6 (`::ffff:1.2.3.4`, what a dual-stack listener logs) becomes the
 * IPv4 address, IPv6 is lower-cased. Anything that is not an IP address (a host name
 * logged with UseDNS, a forged fragment) yields null: a name cannot be banned safely.
 */
import { isIP } from 'node:net';

const mappedPrefix = /^::ffff:/i;

/** Returns the normalised address, or null when `raw` is not an IP address. */
export const normalizeRemoteAddress = (raw: string): string | null => {
  if (raw.indexOf(':') === -1) return isDottedQuad(raw) ? raw : null;
  if (mappedPrefix.test(raw)) {
    const v4 = raw.slice(7);
    if (isDottedQuad(v4)) return v4;
  }
  return isIP(raw) === 6 ? raw.toLowerCase() : null;
};

/** IPv4 without allocating: four decimal octets ≤ 255, no leading garbage. */
const isDottedQuad = (s: string): boolean => {
  let dots = 0;
  let octet = 0;
  let digits = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0) return false;
      dots++;
      octet = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      octet = octet * 10 + (c - 48);
      if (++digits > 3 || octet > 255) return false;
    } else return false;
  }
  return dots === 3 && digits > 0;
};
