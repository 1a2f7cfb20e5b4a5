/**
 * The per-process limits rule (src/supervision/service-limits.ts) under TestScheduler.run:
 * each limit fires on every sample over it, CPU only once it has held cpu_duration,
 * resolves after three clear samples or at once when the service is gone.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestScheduler } from 'rxjs/testing';
import { map } from 'rxjs';
import { isRight } from 'fp-ts/lib/Either.js';
import { SupervisedProcess, type SupervisedProcessConfig } from '../../src/config/schema.js';
import { serviceLimits, type LimitInput } from '../../src/supervision/service-limits.js';
import type { ServiceSample } from '../../src/supervision/service-usage.js';

const scheduler = () => new TestScheduler((actual, expected) => assert.deepEqual(actual, expected));
const entry = (limits: Record<string, unknown>, actions = ['alert_critical', 'restart_process']): SupervisedProcessConfig => {
  const r = SupervisedProcess.decode({ name: 'web', start_command: 'web', limits, actions });
  if (!isRight(r)) throw new Error('bad entry');
  return r.right;
};
const MB = 1024 * 1024;
/** a sample at `at` s: RSS in MB, CPU ticks so far (100 per second of one core) */
const sample = (at: number, rssMb: number, cpuTicks = 0, extra: Partial<ServiceSample> = {}): LimitInput => ({
  sample: { service: 'web', pid: 42, startTicks: 7, at: at * 1000, cpuTicks, rssBytes: rssMb * MB, ...extra },
});
/** incidents as `F:<limit>` / `R:<limit>` */
const short = map((i: { status: string; key: string }) => `${i.status === 'firing' ? 'F' : 'R'}:${i.key.split('|')[2]}`);

describe('serviceLimits', () => {
  test('RSS over memory_mb fires on every sample over it and resolves after three clear samples', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const input = cold('a b c d e f|', { a: sample(0, 600), b: sample(5, 610), c: sample(10, 100), d: sample(15, 90), e: sample(20, 95), f: sample(25, 95) });
      expectObservable(input.pipe(serviceLimits(entry({ memory_mb: 512 })), short)).toBe('a b - - e -|', { a: 'F:memory_mb', b: 'F:memory_mb', e: 'R:memory_mb' });
      expectSubscriptions(input.subscriptions).toBe('^ 5ms !');
    });
  });

  test('the firing incident says what, carries the pid (restart_process finds the service by it) and the entry\'s actions', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const input = cold('a|', { a: sample(0, 600) });
      expectObservable(input.pipe(serviceLimits(entry({ memory_mb: 512 })))).toBe('a|', {
        a: {
          key: 'process_limit|web|memory_mb|42',
          name: 'web memory_mb',
          severity: 'critical',
          description: 'web: RSS 600 MB > 512 MB (pid 42)',
          actions: ['alert_critical', 'restart_process'],
          metadata: { monitorType: 'process_limit:memory_mb', threshold: 512, currentValue: 600, details: 'supervised service web', pids: [42] },
          ts: 0,
          status: 'firing',
          count: 1,
        },
      });
    });
  });

  test('CPU is measured between two samples of the same process and must hold cpu_duration', () => {
    scheduler().run(({ cold, expectObservable }) => {
      // 80 % of a core from 0 s on (400 ticks per 5 s); limit 50 % for 10 s
      const input = cold('a b c d e|', { a: sample(0, 10, 0), b: sample(5, 10, 400), c: sample(10, 10, 800), d: sample(15, 10, 1200), e: sample(20, 10, 1210) });
      // b: its share is the average over 0–5 s, so held since 0 s; c: 10 s → fires; d: still; e: 2 % → clear (1 of 3)
      expectObservable(input.pipe(serviceLimits(entry({ cpu_percent: 50, cpu_duration: '10s' })), short)).toBe('- - c d -|', { c: 'F:cpu_percent', d: 'F:cpu_percent' });
    });
  });

  test('a new process (pid or start time changed) starts CPU afresh: no bogus delta', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const input = cold('a b|', { a: sample(0, 10, 100_000), b: sample(5, 10, 500, { pid: 43, startTicks: 9 }) });
      expectObservable(input.pipe(serviceLimits(entry({ cpu_percent: 1, cpu_duration: '0s' })), short)).toBe('- -|');
    });
  });

  test('open files, threads, children; an unreadable value is skipped; gone resolves at once', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const gone: LimitInput = { gone: { service: 'web', at: 15_000 } };
      const input = cold('a 9ms b 9ms g 9ms |', { a: sample(0, 10, 0, { openFiles: 120, threads: 2, children: 5 }), b: sample(5, 10, 0, { openFiles: null, threads: 12, children: 1 }), g: gone });
      const limits = entry({ open_files: 100, threads: 10, children: 3 });
      // b: open files unreadable (skipped), children back under (1 clear sample of 3: still firing)
      expectObservable(input.pipe(serviceLimits(limits), short)).toBe('(ac) 6ms b 9ms (xyz) 5ms |', {
        a: 'F:open_files',
        c: 'F:children',
        b: 'F:threads',
        x: 'R:open_files',
        y: 'R:threads',
        z: 'R:children',
      });
    });
  });

  test('no limits, empty, never, error, unsubscribe', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const err = new Error('sampler broke');
      expectObservable(cold('a|', { a: sample(0, 9999) }).pipe(serviceLimits(entry({})))).toBe('-|');
      expectObservable(cold<LimitInput>('|').pipe(serviceLimits(entry({ memory_mb: 1 })))).toBe('|');
      expectObservable(cold<LimitInput>('-').pipe(serviceLimits(entry({ memory_mb: 1 })))).toBe('-');
      expectObservable(cold('a #', { a: sample(0, 5) }, err).pipe(serviceLimits(entry({ memory_mb: 1 })), short)).toBe('a #', { a: 'F:memory_mb' }, err);
      const s = cold('a 1s b|', { a: sample(0, 5), b: sample(1, 5) });
      expectObservable(s.pipe(serviceLimits(entry({ memory_mb: 1 })), short), '^ 500ms !').toBe('a', { a: 'F:memory_mb' });
      expectSubscriptions(s.subscriptions).toBe('^ 500ms !');
    });
  });
});
