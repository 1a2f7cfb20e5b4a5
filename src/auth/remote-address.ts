/**
 * Normalising the remote address captured from an sshd line, so one attacker is one
 * key: IPv4-mapped IPv6 (`::ffff:1.2.3.4`, what a dual-stack listener logs) becomes the
 * IPv4 address, IPv6 is lower-cased. Anything that is not an IP address (a host name
 * logged with UseDNS, a forged fragment) yields null: a name cannot be banned safely.
 * Validation is by character codes: this runs once per matched line of a replay.
 */

const mappedPrefix = /^::ffff:/i;

/**
 * For an address captured by an sshd pattern, whose dotted quads the regex already
 * validated: only the colon forms need a check.
 */
export const normalizeMatchedAddress = (raw: string): string | null => {
  if (raw.indexOf(':') === -1) return raw;
  if (mappedPrefix.test(raw) && isDottedQuad(raw, 7)) return raw.slice(7);
  return isIPv6(raw) ? raw.toLowerCase() : null;
};

/** Returns the normalised address, or null when `raw` is not an IP address. */
export const normalizeRemoteAddress = (raw: string): string | null => {
  if (raw.indexOf(':') === -1) return isDottedQuad(raw, 0) ? raw : null;
  if (mappedPrefix.test(raw) && isDottedQuad(raw, 7)) return raw.slice(7);
  return isIPv6(raw) ? raw.toLowerCase() : null;
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

const isHex = (c: number): boolean => (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);

/** RFC 4291 text form: hex groups of 1–4, one `::` at most, optional trailing IPv4. */
export const isIPv6 = (s: string): boolean => {
  const n = s.length;
  if (n < 2 || n > 45) return false;
  let groups = 0;
  let compressed = false;
  let i = 0;
  if (s.charCodeAt(0) === 58) {
    if (s.charCodeAt(1) !== 58) return false;
    compressed = true;
    i = 2;
    if (i === n) return true;
  }
  while (i < n) {
    const groupStart = i;
    while (i < n && isHex(s.charCodeAt(i))) i++;
    const len = i - groupStart;
    if (i < n && s.charCodeAt(i) === 46) {
      // trailing IPv4 takes two groups
      if (!isDottedQuad(s, groupStart)) return false;
      groups += 2;
      break;
    }
    if (len === 0 || len > 4) return false;
    groups++;
    if (i === n) break;
    if (s.charCodeAt(i) !== 58) return false;
    i++;
    if (s.charCodeAt(i) === 58) {
      if (compressed) return false;
      compressed = true;
      i++;
      if (i === n) break;
    } else if (i === n) return false;
  }
  return compressed ? groups < 8 : groups === 8;
};
