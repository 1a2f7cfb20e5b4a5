/**
 * "Did you mean" for config keys: the closest known key by edit distance, when it is
 * close enough to be a plausible typo (`treshold` → `threshold`).
 */

/** Levenshtein distance between two strings. */
export const editDistance = (a: string, b: string): number => {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
};

/** The known word closest to `word`, or undefined when none is within a typo's reach. */
export const suggest = (word: string, known: readonly string[]): string | undefined => {
  const w = word.toLowerCase();
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = editDistance(w, k.toLowerCase());
    if (d < bestD) {
      best = k;
      bestD = d;
    }
  }
  const limit = Math.max(1, Math.floor(Math.max(w.length, 1) / 3));
  return best !== undefined && bestD <= limit ? best : undefined;
};
