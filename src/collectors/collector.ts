/**
 * The periodic collector contract, after node_exporter's tiny `Collector` interface:
 * a collector is built once (whatever is constant is computed in its factory), then
 * each tick it only reads and derives.
 *
 * Reading and deriving are split so rates are honest deltas: `read` does the I/O and
 * returns the raw counters of this read; `derive` is pure and turns the previous
 * reading plus this one into a sample. The metrics stream keeps the previous reading
 * across reads (only successful readings replace it), so a read that failed or timed
 * out simply makes the next delta span a longer, correctly measured interval.
 *
 * Each collector has its own cadence (`intervalMs`, from `collectors:` in the config):
 * the metrics stream reads it on its own timer and samples the latest result into each
 * snapshot, so how often a collector reads is data, never a counter inside the collector.
 * `read` may answer with a Promise (the real collectors) or any ObservableInput (fake
 * collectors under TestScheduler, where a Promise would resolve outside virtual time).
 */
import type { ObservableInput } from 'rxjs';
import type { Host } from '../host/host.js';
import type { MetricKey, Metrics } from '../model/metrics.js';

/** The sample type a collector named `K` produces (the non-null Metrics field). */
export type SampleOf<K extends MetricKey> = NonNullable<Metrics[K]>;

/**
 * A second read of one collector on its own, slower cadence, whose latest result every
 * `read` is handed (the network collector's socket tables, 15 s, beside its counters,
 * every tick). Named in `collectors:` like a collector (`sockets: { interval: 15s }`).
 */
export interface CollectorPart<Part = unknown> {
  readonly name: string;
  readonly intervalMs: number;
  read(host: Host): ObservableInput<Part>;
}

export interface PeriodicCollector<
  K extends MetricKey = MetricKey,
  Raw = unknown,
  Part = never,
  /** what `read` answers with: a Promise for real collectors, an Observable for fakes in virtual time */
  In extends ObservableInput<Raw> = Promise<Raw>,
> {
  /** The Metrics field this collector fills. */
  readonly name: K;
  /** ms between two reads; unset: every `check_interval` (see registry.ts for the defaults) */
  readonly intervalMs?: number;
  /** One read's I/O: raw counters through the Host port (never a literal proc path). */
  read(host: Host, part?: Part): In;
  readonly part?: CollectorPart<Part>;
  /**
   * Pure: previous reading (undefined on the first tick), this reading, and the
   * monotonic milliseconds between them → the sample, or `null` when it cannot be known
   * yet (a rate on its first tick: the reading is only a baseline).
   */
  derive(prev: Raw | undefined, cur: Raw, elapsedMs: number): SampleOf<K> | null;
  /**
   * Optional second I/O pass over the derived sample, for data worth reading only for
   * a few entries (processes: the uid of the top processes, not of every pid).
   */
  complete?(host: Host, sample: SampleOf<K>): Promise<SampleOf<K>>;
  /** Releases what the factory set up (a histogram, a timer). Called when the stream stops. */
  close?(): void;
}

/** Any collector, whatever it fills. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyCollector = { [K in MetricKey]: PeriodicCollector<K, any, any, any> }[MetricKey];

/**
 * "No data here" rather than a failure: the file does not exist on this host or in this
 * container (kernel option off, IPv6 disabled, a fixture tree with only a few files).
 * Such collectors are degraded quietly and warned about once.
 */
export const isNoDataError = (err: unknown): boolean => {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
};

/**
 * The previous value of a kernel counter can exceed the current one when a counter
 * wrapped, a device was re-created or a CPU came back online: no honest rate exists
 * for that interval. Returns the delta or null.
 */
export const counterDelta = (prev: number, cur: number): number | null => (cur >= prev ? cur - prev : null);
