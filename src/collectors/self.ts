/**
 * PanicMode's own footprint: CPU %, RSS, open file descriptors and event-loop lag, for
 * the self-check rules (an agent that eats the host it guards is part of the problem).
 *
 * CPU and RSS come from Node itself (process.cpuUsage / memoryUsage): right whatever the
 * proc root is. Open fds are the entries of `<procroot>/self/fd`, which is this process
 * in a host daemon and in a `--pid=host` sidecar alike; where it cannot be listed the
 * count is -1 (unknown) rather than a failure. Event-loop lag is the p99 delay of the
 * `monitorEventLoopDelay` histogram since the previous tick.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { Host } from '../host/host.js';
import type { SelfSample } from '../model/metrics.js';
import type { PeriodicCollector } from './collector.js';

export interface SelfReading {
  /** user + system CPU time since start, µs */
  cpuMicros: number;
  /** process uptime, ms (the first tick's CPU% is over the whole lifetime) */
  uptimeMs: number;
  rssBytes: number;
  /** -1 when the fd directory cannot be listed */
  openFds: number;
  eventLoopLagMs: number;
}

/** Pure: the self sample; the first tick's CPU share is averaged over the process lifetime. */
export const deriveSelf = (prev: SelfReading | undefined, cur: SelfReading, elapsedMs: number): SelfSample => {
  const cpuMs = (prev ? cur.cpuMicros - prev.cpuMicros : cur.cpuMicros) / 1000;
  const wallMs = prev ? elapsedMs : cur.uptimeMs;
  return {
    cpuPercent: wallMs > 0 ? Math.max(0, (cpuMs / wallMs) * 100) : 0,
    rssBytes: cur.rssBytes,
    openFds: cur.openFds,
    eventLoopLagMs: cur.eventLoopLagMs,
  };
};

/** Counts `<procroot>/self/fd` entries, -1 when that cannot be listed. */
export const countOpenFds = async (host: Host): Promise<number> => {
  try {
    // readdir itself holds one fd open on the directory while listing: not counted.
    return Math.max(0, (await host.listProc('self', 'fd')).length - 1);
  } catch {
    return -1;
  }
};

/** The self collector; it owns an event-loop histogram, released by `close`. */
export const createSelfCollector = (): PeriodicCollector<'self', SelfReading> => {
  let histogram: IntervalHistogram | undefined;
  const lagMs = () => {
    if (!histogram) {
      // The histogram samples with a timer of this period: 10 ms meant 100 wake-ups a
      // second, most of the idle agent's CPU. At 500 ms any stall that overlaps a sample
      // (every stall over half a second) is still seen, which is what the self-check needs.
      histogram = monitorEventLoopDelay({ resolution: 500 });
      histogram.enable();
      return 0;
    }
    const lag = histogram.count > 0 ? histogram.max / 1e6 : 0;
    histogram.reset();
    return lag;
  };
  return {
    name: 'self',
    read: async (host) => {
      const cpu = process.cpuUsage();
      return {
        cpuMicros: cpu.user + cpu.system,
        uptimeMs: process.uptime() * 1000,
        rssBytes: process.memoryUsage.rss(),
        openFds: await countOpenFds(host),
        eventLoopLagMs: lagMs(),
      };
    },
    derive: deriveSelf,
    close: () => {
      histogram?.disable();
      histogram = undefined;
    },
  };
};
