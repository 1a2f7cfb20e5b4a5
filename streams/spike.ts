import { Observable, type OperatorFunction } from 'rxjs';

/** A sample far above its recent average. */
export interface Spike<T> {
  value: T;
  sample: number;
  /** moving average of the samples before this one */
  average: number;
  /** sample / average (Infinity when the average is 0) */
  ratio: number;
}

export interface SpikeOptions {
  /** how many times the moving average counts as a spike (strictly above), e.g. 3 */
  factor: number;
  /** samples needed before anything can be a spike (no alarms on a cold start) */
  minSamples: number;
  /** how many recent samples the moving average covers */
  window: number;
  /** samples below this are never spikes (0 → 1 connection is not an attack); default none */
  minValue?: number;
}

/**
 * Emits the samples that are more than `factor` times the moving average of the
 * `window` samples before them, once at least `minSamples` samples have been seen. A
 * spike joins the average like any sample, so a new sustained level stops being a
 * spike as the window fills with it. Meant for non-negative metrics (rates, counts,
 * percentages). Windows are in samples, not time: the tick interval is the unit, and
 * no timers are involved. NaN and infinite samples are skipped (not averaged, never spikes).
 *
 * ```
 * source:  10 12 11 9 10 50 11 |     spike({ factor: 3, minSamples: 5, window: 5 })
 * result:  -  -  -  -  -  S  -  |     50 > 3 × 10.4
 * ```
 *
 * A throwing `valueOf` errors the stream.
 *
 * @example
 * connectionsPerSecond$.pipe(spike({ factor: 5, minSamples: 30, window: 60, minValue: 100 }))
 * metrics$.pipe(spike({ factor: 3, minSamples: 10, window: 30 }, (m) => m.cpu.usagePercent))
 */
export function spike(opts: SpikeOptions): OperatorFunction<number, Spike<number>>;
/** With a selector reading the sample out of each value. */
export function spike<T>(opts: SpikeOptions, valueOf: (value: T) => number): OperatorFunction<T, Spike<T>>;
export function spike<T>(opts: SpikeOptions, valueOf?: (value: T) => number): OperatorFunction<T, Spike<T>> {
  const read = valueOf ?? ((v: T) => v as unknown as number);
  const window = Math.max(1, opts.window);
  const minSamples = Math.max(1, Math.min(opts.minSamples, window));
  const minValue = opts.minValue ?? -Infinity;

  return (source) =>
    new Observable<Spike<T>>((subscriber) => {
      const recent: number[] = [];
      return source.subscribe({
        next: (value) => {
          let out: Spike<T> | null = null;
          try {
            const sample = read(value);
            if (!Number.isFinite(sample)) return;
            if (recent.length >= minSamples) {
              // summed afresh each time: windows are small and a running sum drifts
              const average = recent.reduce((a, b) => a + b, 0) / recent.length;
              if (sample > opts.factor * average && sample >= minValue) {
                out = { value, sample, average, ratio: average === 0 ? Infinity : sample / average };
              }
            }
            recent.push(sample);
            if (recent.length > window) recent.shift();
          } catch (err) {
            subscriber.error(err);
            return;
          }
          if (out) subscriber.next(out);
        },
        error: (err) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });
    });
}
