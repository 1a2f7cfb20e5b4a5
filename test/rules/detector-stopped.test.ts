/**
 * A detector whose source completes raises one critical self-incident naming it; one
 * that is unsubscribed (stop, reload) raises nothing; errors pass through to supervise.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestScheduler } from 'rxjs/testing';
import { map } from 'rxjs';
import { reportDetectorStop } from '../../src/rules/detector-stopped.js';
import type { Incident } from '../../src/model/incident.js';

const scheduler = () => new TestScheduler((actual, expected) => assert.deepEqual(actual, expected));
const inc = { name: 'SSH brute force' } as Incident;
const label = map((i: Incident) => (i === inc ? 'x' : `${i.severity} ${i.name} ${i.ts}: ${i.description}`));

test('reportDetectorStop: completion appends the "stopped" incident; unsubscribe and error do not', () => {
  const ts = scheduler();
  ts.run(({ cold, expectObservable, expectSubscriptions }) => {
    const ended = cold('a 2s |', { a: inc });
    expectObservable(ended.pipe(reportDetectorStop('SSH brute force', () => ts.now()), label)).toBe('a 2s (s|)', {
      a: 'x',
      s:
        'critical PanicMode detector stopped: SSH brute force 2001: "SSH brute force" stopped: its source ended, so it no longer detects anything ' +
        'until PanicMode restarts (restart it, and look in its log for why the source ended)',
    });
    expectSubscriptions(ended.subscriptions).toBe('^ 2s !');

    const stopped = cold('a 10s |', { a: inc });
    expectObservable(stopped.pipe(reportDetectorStop('x', () => ts.now()), label), '^ 1s !').toBe('a', { a: 'x' });

    const failed = cold('a 1s #', { a: inc }, new Error('journalctl exited'));
    expectObservable(failed.pipe(reportDetectorStop('x', () => ts.now()), label)).toBe('a 1s #', { a: 'x' }, new Error('journalctl exited'));
  });
});
