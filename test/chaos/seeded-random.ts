/**
 * The chaos suite's one source of randomness: a small seeded generator (mulberry32), so
 * every kill moment and hostile line mix can be replayed. The seed comes from
 * `CHAOS_SEED=<n>` or is drawn once per process, and is printed where a run starts, so a
 * failure in CI is replayed with `CHAOS_SEED=<n> npm test`.
 */

export interface SeededRandom {
  readonly seed: number;
  /** uniform in [0, 1) */
  next(): number;
  /** an integer in [lo, hi] */
  int(lo: number, hi: number): number;
  /** one element of a non-empty list */
  pick<T>(items: readonly T[]): T;
  /** a copy of `items` in random order */
  shuffle<T>(items: readonly T[]): T[];
}

export const seededRandom = (seed: number): SeededRandom => {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo: number, hi: number): number => lo + Math.floor(next() * (hi - lo + 1));
  return {
    seed,
    next,
    int,
    pick: (items) => items[int(0, items.length - 1)]!,
    shuffle: (items) => {
      const out = [...items];
      for (let i = out.length - 1; i > 0; i--) {
        const j = int(0, i);
        [out[i], out[j]] = [out[j]!, out[i]!];
      }
      return out;
    },
  };
};

/** `CHAOS_SEED` when set (a bad value is an error, not a silent new seed), else a fresh one. */
export const chaosSeed = (): number => {
  const raw = process.env.CHAOS_SEED;
  if (raw === undefined || raw === '') return Math.floor(Math.random() * 2 ** 31);
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`CHAOS_SEED must be a non-negative integer, got ${JSON.stringify(raw)}`);
  return n;
};

/** A generator for one scenario, its seed printed so the run can be replayed. */
export const scenarioRandom = (scenario: string): SeededRandom => {
  const seed = chaosSeed();
  console.log(`# chaos ${scenario}: seed ${seed} (replay with CHAOS_SEED=${seed})`);
  return seededRandom(seed);
};
