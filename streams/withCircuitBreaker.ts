import { catchError, defer, from, map, mergeMap, of, tap, type ObservableInput, type OperatorFunction } from 'rxjs';
import type { CircuitBreaker } from './circuitBreaker.js';

/** What happened to one input: its action's value, its failure, or a refusal by the open circuit. */
export type BreakerResult<T, R> =
  | { outcome: 'ok'; input: T; value: R }
  | { outcome: 'failed'; input: T; error: unknown }
  | { outcome: 'rejected'; input: T };

export interface WithCircuitBreakerOptions {
  /** actions in flight at once; the rest wait in order (default unbounded, like mergeMap) */
  concurrency?: number;
  /**
   * Whether an error counts against the circuit (default: every error). An error that
   * is not the action's fault (a full disk under a working firewall) still comes out
   * `failed` but must not open the circuit on a working action.
   */
  isFailure?: (error: unknown) => boolean;
}

/**
 * Runs an async action per value through a circuit breaker, at most `concurrency` at a
 * time: while the circuit is open the action is not started and the input comes out
 * `rejected`; a failure is recorded and comes out `failed` (the stream goes on); a
 * completion is recorded as a success. Each value the action emits comes out `ok`.
 * The breaker may be one per input (`(input) => breakerFor(input.action)`), so one
 * bounded queue serves several circuits; it is asked when the input's turn comes, so
 * a circuit that opened while the input waited refuses it.
 *
 * ```
 * source:  a  b  c  d ........ e        action fails for a, b; maxFailures 2, openDuration 10s
 * result:  F  F  R  R ........ ok(e)    (e arrives ≥ 10s later: the half-open trial succeeds)
 * ```
 *
 * Derived from `mergeMap` with its concurrency limit (the bounded queue) and
 * `catchError` (a failed action is a value, not the end of the stream).
 *
 * @example
 * ips$.pipe(withCircuitBreaker(breaker, (ip) => blockIp(ip), { concurrency: 4 }))
 */
export const withCircuitBreaker =
  <T, R>(
    breaker: CircuitBreaker | ((input: T) => CircuitBreaker),
    action: (input: T) => ObservableInput<R>,
    opts: WithCircuitBreakerOptions = {},
  ): OperatorFunction<T, BreakerResult<T, R>> =>
  (source) => {
    const breakerOf = typeof breaker === 'function' ? breaker : () => breaker;
    const isFailure = opts.isFailure ?? (() => true);
    return source.pipe(
      mergeMap((input) => {
        const b = breakerOf(input);
        if (!b.canRun()) return of<BreakerResult<T, R>>({ outcome: 'rejected', input });
        // defer: an action that throws synchronously is a failure of that action, not of the stream
        return defer(() => from(action(input))).pipe(
          tap({ complete: () => b.recordSuccess() }),
          map((value): BreakerResult<T, R> => ({ outcome: 'ok', input, value })),
          catchError((error: unknown) => {
            if (isFailure(error)) b.recordFailure();
            return of<BreakerResult<T, R>>({ outcome: 'failed', input, error });
          }),
        );
      }, opts.concurrency ?? Infinity),
    );
  };
