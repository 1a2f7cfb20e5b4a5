/**
 * PanicMode's stream operators: pure RxJS, no I/O, each in its own file with its
 * marble spec beside it. Re-exported alphabetically by file.
 */
export { createCircuitBreaker, type CircuitBreaker, type CircuitBreakerOptions, type CircuitState } from './circuitBreaker.js';
export { concatMapLatest } from './concatMapLatest.js';
export { countExceeds, type CountExceeded, type CountExceedsOptions } from './countExceeds.js';
export { crashLoop, type CrashLoop, type CrashLoopOptions } from './crashLoop.js';
export { dedup, DEFAULT_DEDUP_WINDOW_MS, type DedupOptions } from './dedup.js';
export { dutyCycle, type DutyCycleOptions, type DutyPhase } from './dutyCycle.js';
export { escalate, type EscalateOptions } from './escalate.js';
export { growthRate, type Growth, type GrowthRateOptions } from './growthRate.js';
export { hysteresis, hysteresisStep, type HysteresisOptions, type Transition } from './hysteresis.js';
export { keyedHistory, type History, type KeyedHistoryOptions } from './keyedHistory.js';
export { KeyedWindowCounter, type KeyedWindowCounterOptions } from './keyedWindowCounter.js';
export { pollAdaptively, type PollAdaptivelyOptions } from './pollAdaptively.js';
export { rateLimit, type RateLimited, type RateLimitOptions } from './rateLimit.js';
export { riseRateExceeds, type RiseExceeded, type RiseRateExceedsOptions } from './riseRateExceeds.js';
export { spike, type Spike, type SpikeOptions } from './spike.js';
export { supervise, type SuperviseOptions } from './supervise.js';
export { sustainedFor, sustainedForStep, type Sustained, type SustainedForOptions } from './sustainedFor.js';
export { breaches, type Comparison, type ThresholdOptions } from './threshold.js';
export { trend, type Trend, type TrendOptions } from './trend.js';
export { withCircuitBreaker, type BreakerResult, type WithCircuitBreakerOptions } from './withCircuitBreaker.js';
