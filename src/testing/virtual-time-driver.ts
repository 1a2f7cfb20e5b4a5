/**
 * Flushes a VirtualTimeScheduler as `flush()` does — its actions in time order, up to
 * its `maxFrames` — but lets the real asynchronous work each action starts (promises,
 * `setImmediate`: the ban manager, its SQLite database) finish before the virtual clock
 * moves on, so that work happens at the virtual instant that started it. `busy` says
 * whether work the caller started is still in flight (checked after each turn of the
 * event loop); one turn is always given.
 */
import type { VirtualTimeScheduler } from 'rxjs';

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

export const flushSettling = async (scheduler: VirtualTimeScheduler, busy: () => boolean): Promise<void> => {
  const { actions, maxFrames } = scheduler;
  let action;
  while ((action = actions[0]) && action.delay <= maxFrames) {
    actions.shift();
    scheduler.frame = action.delay;
    const error = action.execute(action.state, action.delay);
    if (error) {
      while ((action = actions.shift())) action.unsubscribe();
      throw error;
    }
    do await turn();
    while (busy());
  }
};
