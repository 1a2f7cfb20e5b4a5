import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestScheduler } from 'rxjs/testing';
import { map } from 'rxjs';
import { incidentFlow, alertRateLimit, type PendingAlert } from '../../src/incidents/incident-flow.js';
import type { Incident, Severity } from '../../src/model/incident.js';

const inc = (key: string, severity: Severity = 'warning', status: 'firing' | 'resolved' = 'firing'): Incident => ({
  key,
  name: key,
  severity,
  description: key,
  actions: [],
  metadata: { monitorType: 'cpu_usage', threshold: 80, currentValue: 90, details: '' },
  ts: 0,
  status,
  count: 1,
});

const ts = () => new TestScheduler((a, e) => assert.deepEqual(a, e));

test('a firing incident repeated every tick passes once per dedup window; resolved passes once', () => {
  // Virtual time: the operators must use the TestScheduler's clock, so pass it explicitly.
  const s = ts();
  s.run(({ cold, expectObservable }) => {
    const f = inc('cpu');
    const r = inc('cpu', 'warning', 'resolved');
    //                 0     1m    2m      6m           res   res again
    const src = cold('a 59s a 59s a 4m a 59s r 1s r|', { a: f, r });
    const out = src.pipe(incidentFlow({ dedupWindowMs: 300_000, escalateAfter: 3, scheduler: s }), map((i) => i.status[0]));
    expectObservable(out).toBe('a 59s - 59s - 4m a 59s r 1s -|', { a: 'f', r: 'r' });
  });
});

test('a warning that keeps being reminded is raised to critical at the escalate count', () => {
  const s = ts();
  s.run(({ cold, expectObservable }) => {
    const w = inc('mem');
    const src = cold('a 5m a 5m a 5m a|', { a: w });
    const out = src.pipe(incidentFlow({ dedupWindowMs: 300_000, escalateAfter: 3, scheduler: s }), map((i) => i.severity));
    expectObservable(out).toBe('a 5m b 5m c 5m d|', { a: 'warning', b: 'warning', c: 'critical', d: 'critical' });
  });
});

test('dedup state from before a restart suppresses the first repeat', () => {
  const s = ts();
  s.run(({ cold, expectObservable }) => {
    const src = cold('a 4m a|', { a: inc('cpu') });
    const recorded: string[] = [];
    const out = src.pipe(
      incidentFlow({
        dedupWindowMs: 300_000,
        dedupInitial: [['cpu|firing', -60_000]],
        onDedupRecord: (k) => recorded.push(k),
        scheduler: s,
      }),
      map((i) => i.key),
    );
    // restored at -1m: the a at 0 is a duplicate; the a at 4m (5m after) passes
    expectObservable(out).toBe('- 4m a|', { a: 'cpu' });
  });
});

test('alert rate limit: a storm of one rule becomes one alert with a count; resolved is separate', () => {
  const s = ts();
  s.run(({ cold, expectObservable }) => {
    const p = (k: string, st: 'firing' | 'resolved' = 'firing'): PendingAlert => ({
      incident: { ...inc(k, 'critical', st), name: 'ssh' },
      actionsTaken: [],
    });
    const src = cold('a b c d e 55s r|', { a: p('ip1'), b: p('ip2'), c: p('ip3'), d: p('ip4'), e: p('ip5'), r: p('ip1', 'resolved') });
    const out = src.pipe(alertRateLimit(undefined, s), map((a) => `${a.incident.status[0]}${a.incident.count}/${a.items}`));
    // the first at 0; the 4 others are held back, and the source's end (a shutdown)
    // flushes them as one alert counting 4 (standing for 4 items owed) rather than losing them
    expectObservable(out).toBe('a 4ms 55s r(s|)', { a: 'f1/1', r: 'r1/1', s: 'f4/4' });
  });
});

test('a ban that did not happen is not deduplicated: its repeat gets through; one carried out is, and only then recorded', () => {
  const s = ts();
  s.run(({ cold, flush }) => {
    const ban = { ...inc('ssh|203.0.113.7', 'critical'), actions: ['block_ip'] };
    const recorded: [string, number][] = [];
    const handled: boolean[] = [];
    const src = cold('a 1m a 1m a 1m a|', { a: { ...ban, onHandled: (ok: boolean) => void handled.push(ok) } });
    const out = src.pipe(
      incidentFlow({
        dedupWindowMs: 300_000,
        onDedupRecord: (k, t) => recorded.push([k, t]),
        awaitsProtection: (i) => i.actions.includes('block_ip'),
        scheduler: s,
      }),
    );
    const seen: number[] = [];
    out.subscribe((i) => {
      seen.push(s.now());
      // the first ban fails; the second is carried out 10 s later
      if (seen.length === 1) i.onHandled!(false);
      else s.schedule(() => i.onHandled!(true), 10_000);
    });
    flush();
    assert.deepEqual(seen, [0, 60_001], 'the repeat after a failed ban goes through; those after the one carried out do not');
    assert.deepEqual(recorded, [['ssh|203.0.113.7|firing', 70_001]], 'recorded when carried out, not when let through');
    assert.deepEqual(handled, [false, true, true, true], 'dropped repeats report their ban done');
  });
});

test('repeats raised while a ban is still in flight wait for it: one incident when it is carried out, the next repeat retried when it is not', () => {
  for (const outcome of [true, false]) {
    const s = ts();
    s.run(({ cold, flush }) => {
      const ban = { ...inc('ssh|10.0.0.5', 'critical'), actions: ['block_ip'] };
      const handled: boolean[] = [];
      // an attack that goes on (or a whitelisted address whose ban is skipped) while a
      // slow ban queue works: the detector fires again every threshold + 1 failures
      const src = cold('a 10s a 10s a 1m |', { a: { ...ban, onHandled: (ok: boolean) => void handled.push(ok) } });
      const out = src.pipe(incidentFlow({ dedupWindowMs: 300_000, awaitsProtection: (i) => i.actions.includes('block_ip'), scheduler: s }));
      const seen: number[] = [];
      out.subscribe((i) => {
        seen.push(s.now());
        // the first ban settles after 30 s; any retry is carried out at once
        if (seen.length === 1) s.schedule(() => i.onHandled!(outcome), 30_000);
        else i.onHandled!(true);
      });
      flush();
      if (outcome) {
        assert.deepEqual(seen, [0], 'one incident: the repeats waited, then were dropped');
        assert.deepEqual(handled, [true, true, true]);
      } else {
        assert.deepEqual(seen, [0, 30_000], 'the first parked repeat is retried when the ban failed; the other is dropped once that one was done');
        assert.deepEqual(handled, [false, true, true]);
      }
    });
  }
});
