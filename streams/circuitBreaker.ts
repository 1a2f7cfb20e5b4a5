export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  /** failures within `failureWindowMs` that open the circuit (>= 1) */
  maxFailures: number;
  /** sliding window the failures are counted in */
  failureWindowMs: number;
  /** how long the circuit stays open before one trial run is allowed */
  openDurationMs: number;
  /** the clock (unix ms); pass `() => scheduler.now()` under a TestScheduler */
  now: () => number;
}

export interface CircuitBreaker {
  /**
   * Whether an attempt may start now. In `half-open` it answers true exactly once
   * (the trial) and false until that trial is recorded, so a caller must call
   * `canRun()` only when it really is about to run.
   */
  canRun(): boolean;
  /** The attempt succeeded: a half-open circuit closes and forgets its failures. */
  recordSuccess(): void;
  /** The attempt failed: counted in the window; a half-open circuit opens again. */
  recordFailure(): void;
  /** Current state; open turns half-open by itself once `openDurationMs` has passed. */
  readonly state: CircuitState;
}

/**
 * A small circuit breaker for async actions (a block script, a webhook): a pure state
 * machine over an injected clock, no timers.
 *
 * ```
 *  closed ──(maxFailures failures within failureWindowMs)──► open
 *    ▲                                                        │ openDurationMs
 *    └──── trial succeeds ──── half-open ◄────────────────────┘
 *                                  └── trial fails ──► open (for another openDurationMs)
 * ```
 *
 * In `closed`, failures are counted in a sliding window whatever happens in between:
 * an action failing every other time still opens the circuit, which is the point for
 * a flaky script. A successful trial clears the count. A trial that is never recorded
 * (the caller crashed between canRun and record) is presumed lost after another
 * `openDurationMs`, and a new trial is allowed, so the breaker cannot stick half-open.
 *
 * @example
 * const breaker = createCircuitBreaker({ maxFailures: 3, failureWindowMs: 60_000, openDurationMs: 300_000, now: () => scheduler.now() });
 * if (breaker.canRun()) {
 *   try { await runBlockScript(ip); breaker.recordSuccess(); } catch { breaker.recordFailure(); }
 * }
 */
export const createCircuitBreaker = (opts: CircuitBreakerOptions): CircuitBreaker => {
  const maxFailures = Math.max(1, opts.maxFailures);
  const { failureWindowMs, openDurationMs, now } = opts;
  /** failure timestamps inside the window, oldest first (never more than maxFailures) */
  let failures: number[] = [];
  let state: CircuitState = 'closed';
  let openedAt = 0;
  /** when the current half-open trial was handed out, null when none is in flight */
  let trialStartedAt: number | null = null;

  const refresh = (t: number): CircuitState => {
    if (state === 'open' && t - openedAt >= openDurationMs) {
      state = 'half-open';
      trialStartedAt = null;
    }
    if (state === 'half-open' && trialStartedAt !== null && t - trialStartedAt >= openDurationMs) {
      trialStartedAt = null; // the trial was never recorded: allow another
    }
    return state;
  };

  const open = (t: number) => {
    state = 'open';
    openedAt = t;
    trialStartedAt = null;
    failures = [];
  };

  return {
    canRun() {
      const t = now();
      const s = refresh(t);
      if (s === 'closed') return true;
      if (s === 'open') return false;
      if (trialStartedAt !== null) return false;
      trialStartedAt = t;
      return true;
    },
    recordSuccess() {
      const s = refresh(now());
      if (s === 'half-open') {
        state = 'closed';
        trialStartedAt = null;
        failures = [];
      }
    },
    recordFailure() {
      const t = now();
      const s = refresh(t);
      if (s === 'half-open') return open(t);
      if (s === 'open') return; // a late result of an attempt started before opening
      failures = failures.filter((f) => t - f < failureWindowMs);
      failures.push(t);
      if (failures.length >= maxFailures) open(t);
    },
    get state() {
      return refresh(now());
    },
  };
};
