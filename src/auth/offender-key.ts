/**
 * What SSH failures are counted under: the address, or — for IPv6 with `ipv6Prefix`
 * below 128 — its network (`2001:db8:1::/64`). A host holds a whole /64, so an attacker
 * rotating through it (10 addresses × 5 failures) must add up to one offender, as the
 * ban does (firewall.ipv6_prefix). Addresses are canonicalised, so one address written
 * two ways is one offender.
 */
import { parseAddress, prefixOf } from '../firewall/address.js';

export const offenderOf = (ip: string, ipv6Prefix = 128): string => {
  if (!ip.includes(':')) return ip; // dotted quad, as the parser wrote it
  const a = parseAddress(ip);
  if (!a) return ip;
  if (a.family === 4 || ipv6Prefix >= 128) return a.text;
  return prefixOf(a, ipv6Prefix).text;
};
