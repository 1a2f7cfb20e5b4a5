/** Test helpers: collect an Observable's values and wait for them without sleeping blindly. */
import type { Observable, Subscription } from 'rxjs';

export interface Collected<T> {
  values: T[];
  sub: Subscription;
  /** resolves once `n` values arrived (rejects after `ms`) */
  waitFor(n: number, ms?: number): Promise<T[]>;
}

export const collect = <T>(obs: Observable<T>, onError?: (e: unknown) => void): Collected<T> => {
  const values: T[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const sub = obs.subscribe({
    next: (v) => {
      values.push(v);
      for (const w of waiters.filter((w) => values.length >= w.n)) w.resolve();
    },
    error: (e) => onError?.(e),
  });
  return {
    values,
    sub,
    waitFor: (n, ms = 3000) =>
      new Promise<T[]>((resolve, reject) => {
        if (values.length >= n) return resolve(values);
        const t = setTimeout(() => reject(new Error(`timed out waiting for ${n} values, got ${values.length}: ${JSON.stringify(values)}`)), ms);
        waiters.push({ n, resolve: () => (clearTimeout(t), resolve(values)) });
      }),
  };
};

/** Resolves when `predicate` holds (polled every 5 ms), rejects after `ms`. */
export const until = async (predicate: () => boolean, ms = 3000, what = 'condition'): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

export const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));
