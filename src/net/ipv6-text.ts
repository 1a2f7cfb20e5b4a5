/**
 * IPv6 text form (RFC 5952): lower case, no leading zeros, the longest run of two or
 * more zero groups as `::`. One writer for the whole agent, so an address read from
 * /proc/net/tcp6 and the same address parsed from a log or the config compare equal.
 */
export const formatIpv6Groups = (groups: readonly number[]): string => {
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
};
