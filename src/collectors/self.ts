/**
 * PanicMode's own footprint: CPU %, RSS (and its growth over the start-up baseline),
 * open file descriptors against their limit, and event-loop lag, for the self-check
 * rules (an agent that eats the host it guards, or cannot open one more file, is part
 * of the problem).
 *
 * CPU and RSS come from Node itself (process.cpuUsage / memoryUsage): right whatever the
 * proc root is. Open fds are the entries of `<procroot>/self/fd` and their limit the soft
 * "Max open files" of `<procroot>/self/limits`, which is this process in a host daemon
 * and in a `--pid=host` sidecar alike; where either cannot be read it is -1 (unknown)
 * rather than a failure. Event-loop lag is how late a 500 ms timer came at worst since
 * the previous tick (lagProbe).
 *
 * The RSS baseline is the first RSS this process measured, kept per process (not per
 * collector): a reload builds new collectors, and a leak that grows across reloads must
 * still show against the footprint the agent started with.
 */
import type { Host } from '../host/host.js';
import type { SelfSample } from '../model/metrics.js';
import type { PeriodicCollector } from './collector.js';

export interface SelfReading {
  /** user + system CPU time since start, µs */
  cpuMicros: number;
  /** process uptime, ms (the first tick's CPU% is over the whole lifetime) */
  uptimeMs: number;
  rssBytes: number;
  /** RSS at this process's first self reading */
  rssBaselineBytes: number;
  /** -1 when the fd directory cannot be listed */
  openFds: number;
  /** soft RLIMIT_NOFILE, -1 when unknown, Infinity when unlimited */
  fdLimit: number;
  eventLoopLagMs: number;
}

/** Pure: the self sample; the first tick's CPU share is averaged over the process lifetime. */
export const deriveSelf = (prev: SelfReading | undefined, cur: SelfReading, elapsedMs: number): SelfSample => {
  const cpuMs = (prev ? cur.cpuMicros - prev.cpuMicros : cur.cpuMicros) / 1000;
  const wallMs = prev ? elapsedMs : cur.uptimeMs;
  return {
    cpuPercent: wallMs > 0 ? Math.max(0, (cpuMs / wallMs) * 100) : 0,
    rssBytes: cur.rssBytes,
    rssBaselineBytes: cur.rssBaselineBytes,
    openFds: cur.openFds,
    fdLimit: cur.fdLimit,
    eventLoopLagMs: cur.eventLoopLagMs,
  };
};

/** Pure: the soft "Max open files" of a `/proc/<pid>/limits` text; -1 when absent. */
export const parseFdLimit = (limits: string): number => {
  const m = /^Max open files\s+(\S+)/m.exec(limits);
  if (!m) return -1;
  if (m[1] === 'unlimited') return Infinity;
  const n = Number(m[1]);
  return Number.isFinite(n) && n > 0 ? n : -1;
};

/**
 * Counts `<procroot>/self/fd` entries, -1 when that cannot be listed. Listed synchronously:
 * a few dozen entries in one getdents, where the thread pool's round trip would wake the
 * idle agent a second time each tick.
 */
export const countOpenFds = (host: Host): number => {
  try {
    // readdir itself holds one fd open on the directory while listing: not counted.
    return Math.max(0, host.listProcSync('self', 'fd').length - 1);
  } catch {
    return -1;
  }
};

const readFdLimit = async (host: Host): Promise<number> => {
  try {
    return parseFdLimit(await host.readProc('self', 'limits'));
  } catch {
    return -1;
  }
};

/** This process's start-up RSS, set by the first self reading (see the file comment). */
const processBaseline: { rssBytes?: number } = {};

export interface SelfCollectorOptions {
  /** where the start-up baseline is kept (default: one per process); tests pass their own */
  baseline?: { rssBytes?: number };
  /** the RSS source (default process.memoryUsage.rss); tests inject growth */
  rss?: () => number;
}

/**
 * How often the event loop's lag is sampled, ms: 10 ms meant 100 wake-ups a second,
 * most of the idle agent's CPU. At 500 ms every stall over half a second overlaps a
 * sample, which is what the self-check (lag over 1 s by default) needs.
 */
const LAG_SAMPLE_MS = 500;

interface LagProbe {
  /** the worst lateness since the last take (the one still pending included), ms */
  take(): number;
  stop(): void;
}

/**
 * A timer every `periodMs` that measures how late it fires. Not perf_hooks'
 * `monitorEventLoopDelay`: its histogram records whole periods (a quiet loop reads
 * 500 ms), and after each `reset()` it drops the next sample, so a stall just after a
 * reading went unseen (measured: a 1.6 s stall read as 0).
 */
const lagProbe = (periodMs: number): LagProbe => {
  let due = performance.now() + periodMs;
  let worst = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - due);
    due = now + periodMs; // an interval is rescheduled from when its callback runs
  }, periodMs);
  timer.unref();
  return {
    take: () => {
      const late = Math.max(worst, performance.now() - due, 0);
      worst = 0;
      return late;
    },
    stop: () => clearInterval(timer),
  };
};

/** The self collector; it owns the lag probe's timer, stopped by `close`. */
export const createSelfCollector = (options: SelfCollectorOptions = {}): PeriodicCollector<'self', SelfReading> => {
  const baseline = options.baseline ?? processBaseline;
  const rss = options.rss ?? (() => process.memoryUsage.rss());
  let lag: LagProbe | undefined;
  // The soft limit is read once: it changes only by prlimit from outside, rarely.
  let fdLimit: number | undefined;
  const lagMs = () => {
    if (!lag) {
      lag = lagProbe(LAG_SAMPLE_MS);
      return 0;
    }
    return lag.take();
  };
  return {
    name: 'self',
    read: async (host) => {
      const cpu = process.cpuUsage();
      const rssBytes = rss();
      baseline.rssBytes ??= rssBytes;
      fdLimit ??= await readFdLimit(host);
      return {
        cpuMicros: cpu.user + cpu.system,
        uptimeMs: process.uptime() * 1000,
        rssBytes,
        rssBaselineBytes: baseline.rssBytes,
        openFds: countOpenFds(host),
        fdLimit,
        eventLoopLagMs: lagMs(),
      };
    },
    derive: deriveSelf,
    close: () => {
      lag?.stop();
      lag = undefined;
    },
  };
};
