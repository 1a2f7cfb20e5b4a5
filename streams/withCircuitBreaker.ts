import { catchError, defer, from, map, mergeMap, of, tap, type ObservableInput, type OperatorFunction } from 'rxjs';
import type { CircuitBreaker } from './circuitBreaker.js';

/** What happened to one input: its action's value, its failure, or a refusal by the open circuit. */
export type BreakerResult<T, R> =
  | { outcome: 'ok'; input: T; value: R }
  | { outcome: 'failed'; input: T; error: unknown }
  | { outcome: 'rejected'; input: T };

/**
 * Runs an async action per value through a circuit breaker: while the circuit is open
 * the action is not started and the input comes out `rejected`; a failure is recorded
 * and comes out `failed` (the stream goes on); a completion is recorded as a success.
 * Each value the action emits comes out `ok`.
 *
 * ```
 * source:  a  b  c  d ........ e        action fails for a, b; maxFailures 2, openDuration 10s
 * result:  F  F  R  R ........ ok(e)    (e arrives ≥ 10s later: the half-open trial succeeds)
 * ```
 *
 * @example
 * ips$.pipe(withCircuitBreaker(breaker, (ip) => blockIp(ip), 4))
 *
 * @param concurrency actions in flight at once (default unbounded, like mergeMap)
 */
export const withCircuitBreaker =
  <T, R>(
    breaker: CircuitBreaker,
    action: (input: T) => ObservableInput<R>,
    concurrency = Infinity,
  ): OperatorFunction<T, BreakerResult<T, R>> =>
  (source) =>
    source.pipe(
      mergeMap((input) => {
        if (!breaker.canRun()) return of<BreakerResult<T, R>>({ outcome: 'rejected', input });
        // defer: an action that throws synchronously is a failure of that action, not of the stream
        return defer(() => from(action(input))).pipe(
          tap({ complete: () => breaker.recordSuccess() }),
          map((value): BreakerResult<T, R> => ({ outcome: 'ok', input, value })),
          catchError((error: unknown) => {
            breaker.recordFailure();
            return of<BreakerResult<T, R>>({ outcome: 'failed', input, error });
          }),
        );
      }, concurrency),
    );
