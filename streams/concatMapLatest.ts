import { concatMap, defer, EMPTY, map, type ObservableInput, type OperatorFunction } from 'rxjs';

/**
 * Like `concatMap`, but of the items that queued up while one was being worked on,
 * only the latest is worked on next: work never overlaps, and a burst of requests
 * during one piece of work becomes exactly one more (serialised and coalesced).
 *
 * ```
 * source:  abcd------e-|        project(v) = cold('x---|')
 * result:  x---x-----x---|       a's work, then d's (b, c superseded while a's ran), then e's
 * ```
 *
 * The count of requests is per subscription; errors from `project` or the source
 * error the stream, as with `concatMap`. An item superseded before its turn is
 * dropped without calling `project`.
 *
 * @example
 * sighup$.pipe(concatMapLatest(() => reloadConfig()))   // 20 SIGHUPs → at most 2 reloads
 */
export function concatMapLatest<T, R>(project: (value: T, index: number) => ObservableInput<R>): OperatorFunction<T, R> {
  return (source) =>
    defer(() => {
      let latest = 0;
      return source.pipe(
        map((value, index) => ({ value, index, seq: ++latest })),
        // concatMap queues; by the time a queued item's turn comes, a newer one may exist.
        concatMap(({ value, index, seq }) => (seq === latest ? project(value, index) : EMPTY)),
      );
    });
}
