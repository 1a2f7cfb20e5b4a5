/**
 * Runs `fn` over `items` with at most `limit` calls in flight, collecting every
 * failure instead of stopping at the first: one bad address must not leave the rest
 * of a burst unbanned.
 */
export const boundedAll = async <T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<{ item: T; error: Error }[]> => {
  const failures: { item: T; error: Error }[] = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (err) {
        failures.push({ item, error: err instanceof Error ? err : new Error(String(err)) });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return failures;
};
