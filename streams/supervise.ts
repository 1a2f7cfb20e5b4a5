import { asyncScheduler, Observable, Subscription, type MonoTypeOperatorFunction, type SchedulerLike } from 'rxjs';

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
 * @example
 * authLog$.pipe(supervise({ onFailure: (e, n, d) => alertSelf(`auth log failed (${n}), retry in ${d} ms`) }))
 */
export function supervise<T>(opts: SuperviseOptions = {}): MonoTypeOperatorFunction<T> {
  const initialDelayMs = opts.initialDelayMs ?? 1000;
  const maxDelayMs = opts.maxDelayMs ?? 60_000;
  const maxFailures = Math.max(1, opts.maxConsecutiveFailures ?? 3);
  const scheduler = opts.scheduler ?? asyncScheduler;
  const { onFailure } = opts;

  return (source) =>
    new Observable<T>((subscriber) => {
      const teardown = new Subscription();
      let failures = 0;

      const attach = () => {
        const inner = new Subscription();
        teardown.add(inner);
        inner.add(
          source.subscribe({
            next: (value) => {
              failures = 0;
              subscriber.next(value);
            },
            error: (err) => {
              teardown.remove(inner);
              failures++;
              const giveUp = failures >= maxFailures;
              const delayMs = giveUp ? null : Math.min(maxDelayMs, initialDelayMs * 2 ** (failures - 1));
              try {
                onFailure?.(err, failures, delayMs);
              } catch (callbackErr) {
                subscriber.error(callbackErr);
                return;
              }
              if (delayMs === null) return subscriber.error(err);
              // retries go through the scheduler, never recursively, so a source that
              // fails synchronously cannot blow the stack; spent timers leave `teardown`
              const timer: Subscription = scheduler.schedule(() => {
                teardown.remove(timer);
                attach();
              }, delayMs);
              teardown.add(timer);
            },
            complete: () => subscriber.complete(),
          }),
        );
      };

      attach();
      return teardown;
    });
}
