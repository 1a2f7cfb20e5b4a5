import { test } from 'node:test';
import assert from 'node:assert/strict';
import { map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { fileChangeIncidents, type FileChangeRule } from '../../src/files/file-change-incidents.js';
import type { FileChange } from '../../src/files/file-change.js';
import { trackingScheduler } from '../../streams/testing/trackingScheduler.js';

const scheduler = () => new TestScheduler((actual, expected) => assert.deepEqual(actual, expected));

const rule = (over: Partial<FileChangeRule> = {}): FileChangeRule => ({
  name: 'etc changed',
  threshold: 2,
  actions: ['alert_critical'],
  windowMs: 60_000,
  maxEventsPerPath: 1000,
  ...over,
});

const changes: Record<string, FileChange> = {
  a: { path: '/etc/a', kind: 'added' },
  m: { path: '/etc/a', kind: 'modified' },
  r: { path: '/etc/a', kind: 'removed' },
  b: { path: '/etc/b', kind: 'modified' },
  c: { path: '/etc/c', kind: 'added' },
  d: { path: '/etc/d', kind: 'removed' },
};

/** What a test compares: the count, the details and when it was raised. */
const brief = map((i: { count: number; ts: number; metadata: { details: string }; status: string; key: string }) => ({
  n: i.count,
  at: i.ts,
  details: i.metadata.details,
  status: i.status,
  key: i.key,
}));

test('file changes: a window reaching the threshold fires at once, once per window, with what changed', () => {
  scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
    const source = cold('a b 59s c 1s d m|', changes);
    //                   0 1 59002  60003 60004 (second window from 60000)
    const expected = '   - I 59s - 1s - J|';
    expectObservable(source.pipe(fileChangeIncidents(rule()), brief)).toBe(expected, {
      I: { n: 2, at: 1, details: '2 file changes within 1m: added /etc/a; modified /etc/b', status: 'firing', key: 'file_monitor|etc changed' },
      J: { n: 2, at: 60004, details: '2 file changes within 1m: removed /etc/d; modified /etc/a', status: 'firing', key: 'file_monitor|etc changed' },
    });
    expectSubscriptions(source.subscriptions).toBe('^ 60004ms !');
  });
});

test('file changes: below the threshold nothing fires; at exactly the threshold it does (threshold 1 = any change)', () => {
  scheduler().run(({ cold, expectObservable }) => {
    expectObservable(cold('a 1m b|', changes).pipe(fileChangeIncidents(rule()))).toBe('- 1m -|');
    expectObservable(cold('--a|', changes).pipe(fileChangeIncidents(rule({ threshold: 1 })), brief)).toBe('--I|', {
      I: { n: 1, at: 2, details: '1 file change within 1m: added /etc/a', status: 'firing', key: 'file_monitor|etc changed' },
    });
  });
});

test('file changes: one path counts at most max_events_per_path events per window', () => {
  scheduler().run(({ cold, expectObservable }) => {
    const capped = rule({ threshold: 3, maxEventsPerPath: 2 });
    // /etc/a rewritten over and over stays at 2: never reaches 3 on its own
    expectObservable(cold('a m m m m m|', changes).pipe(fileChangeIncidents(capped))).toBe('- - - - - -|');
    // a second path makes the third counted change
    expectObservable(cold('a m m r b|', changes).pipe(fileChangeIncidents(capped), brief)).toBe('- - - - I|', {
      I: { n: 3, at: 4, details: '3 file changes within 1m: added, modified /etc/a (2 events); modified /etc/b', status: 'firing', key: 'file_monitor|etc changed' },
    });
  });
});

test('file changes: the kinds of one path are listed in the order seen; many paths are summarised', () => {
  scheduler().run(({ cold, expectObservable }) => {
    expectObservable(cold('a m r|', changes).pipe(fileChangeIncidents(rule({ threshold: 3 })), brief)).toBe('- - I|', {
      I: { n: 3, at: 2, details: '3 file changes within 1m: added, modified, removed /etc/a (3 events)', status: 'firing', key: 'file_monitor|etc changed' },
    });
  });
  scheduler().run(({ cold, flush }) => {
    const many = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [String.fromCharCode(0x100 + i), { path: `/etc/f${i}`, kind: 'added' as const }]));
    const out: { details: string; description: string }[] = [];
    cold(Object.keys(many).join('') + '|', many)
      .pipe(fileChangeIncidents(rule({ threshold: 60 })))
      .subscribe((i) => out.push({ details: i.metadata.details, description: i.description }));
    flush();
    assert.equal(out.length, 1);
    assert.match(out[0]!.details, /^60 file changes within 1m: added \/etc\/f0; .*added \/etc\/f49; and 10 more paths$/);
    assert.equal(out[0]!.description, '60 file changes within 1m: added /etc/f0; added /etc/f1; added /etc/f2; and 57 more paths');
  });
});

test('file changes: an empty source completes, a never-ending one stays silent, an error passes through', () => {
  scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
    expectObservable(cold<FileChange>('|').pipe(fileChangeIncidents(rule()))).toBe('|');
    // (unsubscribed at 5m: a window timer runs as long as the source does)
    expectObservable(cold<FileChange>('-').pipe(fileChangeIncidents(rule())), '^ 5m !').toBe('-');
    const failing = cold('a 5s #', changes);
    expectObservable(failing.pipe(fileChangeIncidents(rule()))).toBe('- 5s #');
    expectSubscriptions(failing.subscriptions).toBe('^ 5s !');
  });
});

test('file changes: unsubscribing tears the window timer down', () => {
  const ts = scheduler();
  ts.run(({ cold, expectObservable, expectSubscriptions, flush }) => {
    const tracking = trackingScheduler(ts);
    const source = cold('a 60m |', changes);
    expectObservable(source.pipe(fileChangeIncidents(rule({ threshold: 5 }), tracking)), '^ 2s !').toBe('-');
    expectSubscriptions(source.subscriptions).toBe('^ 2s !');
    flush();
    assert.deepEqual(tracking.ran, []); // the first window would have closed at 60 s
  });
});
