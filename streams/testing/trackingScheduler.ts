import type { SchedulerAction, SchedulerLike, Subscription } from 'rxjs';

/** A scheduler wrapper for specs: counts timers still pending and records when each ran. */
export interface TrackingScheduler extends SchedulerLike {
  /** timers scheduled and neither run nor cancelled */
  pending(): number;
  /** virtual times at which a timer callback ran */
  readonly ran: number[];
}

/**
 * Wraps a scheduler (the TestScheduler in specs) so a test can prove an operator tore
 * its timers down: after unsubscribe, `pending()` is 0 and nothing more runs.
 * Only single-shot work is tracked (operators here never reschedule themselves).
 */
export const trackingScheduler = (inner: SchedulerLike): TrackingScheduler => {
  const live = new Set<object>();
  const ran: number[] = [];
  return {
    now: () => inner.now(),
    pending: () => live.size,
    ran,
    schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay = 0, state?: T): Subscription {
      const token = {};
      live.add(token);
      const sub = inner.schedule<T>(function (this: SchedulerAction<T>, s?: T) {
        live.delete(token);
        ran.push(inner.now());
        work.call(this, s);
      }, delay, state as T);
      sub.add(() => live.delete(token));
      return sub;
    },
  };
};
