import { asyncScheduler, retry, timer, type MonoTypeOperatorFunction, type SchedulerLike } from 'rxjs';

export interface SuperviseOptions {
  /** delay before the first retry (default 1000) */
  initialDelayMs?: number;
  /** cap of the doubling delay (default 60 000) */
  maxDelayMs?: number;
  /** the failure that makes it give up, counted since the last value (default 3) */
  maxConsecutiveFailures?: number;
  /**
   * Told about every failure: `attempt` is the consecutive failure number (1-based),
   * `delayMs` the wait before resubscribing, or `null` when giving up (the error
   * follows). Raise the "stream died" alert from here. A throw errors the output.
   */
  onFailure?: (error: unknown, attempt: number, delayMs: number | null) => void;
  /** default `asyncScheduler` */
  scheduler?: SchedulerLike;
}

/**
 * Keeps a long-lived stream alive: when the source errors it is resubscribed after an
 * exponential backoff (1 s, 2 s, 4 s … capped at 60 s); after `maxConsecutiveFailures`
 * failures in a row it gives up and errors with the last error. Any value emitted
 * resets the count and the delay, so a stream that fails once a day retries forever.
 *
 * ```
 * source (per subscription):  a #  |  #  |  #                  defaults
 * result:  a 1s (resub) 2s (resub) #      onFailure(e,1,1000) (e,2,2000) (e,3,null)
 * ```
 *
 * Completion of the source completes the output (a finished stream is not a failure).
 * Unsubscribing cancels the pending retry timer and the current subscription.
 *
 * Derived from RxJS `retry` (`delay` as a `timer` on the scheduler, `resetOnSuccess`);
 * retries go through the scheduler, so a source failing synchronously cannot recurse.
 *
 * @example
 * authLog$.pipe(supervise({ onFailure: (e, n, d) => alertSelf(`auth log failed (${n}), retry in ${d} ms`) }))
 */
export function supervise<T>(opts: SuperviseOptions = {}): MonoTypeOperatorFunction<T> {
  const initialDelayMs = opts.initialDelayMs ?? 1000;
  const maxDelayMs = opts.maxDelayMs ?? 60_000;
  const maxFailures = Math.max(1, opts.maxConsecutiveFailures ?? 3);
  const scheduler = opts.scheduler ?? asyncScheduler;
  const { onFailure } = opts;

  // retry's `attempt` counts failures since the last value (resetOnSuccess); a throw
  // from `delay` errors the output, which is how giving up ends the stream.
  return retry({
    resetOnSuccess: true,
    delay: (error: unknown, attempt: number) => {
      const delayMs = attempt >= maxFailures ? null : Math.min(maxDelayMs, initialDelayMs * 2 ** (attempt - 1));
      onFailure?.(error, attempt, delayMs);
      if (delayMs === null) throw error;
      return timer(delayMs, scheduler);
    },
  });
}
