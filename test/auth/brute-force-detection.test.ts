/**
 * The detector operator: exactly-at-threshold, window edges, reset after firing,
 * incidents' machine-readable IPs; marble tests under virtual time. (The per-key
 * counting itself is specified in streams/countExceeds.test.ts.)
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { TestScheduler } from 'rxjs/testing';
import { from, Subject } from 'rxjs';
import { detectBruteForce } from '../../src/auth/detect-brute-force.js';
import { LineLedger } from '../../src/auth/line-ledger.js';
import type { AuthFailure } from '../../src/auth/auth-failure.js';
import type { Incident } from '../../src/model/incident.js';
import type { BruteForceRule } from '../../src/auth/brute-force-rule.js';

const rule: BruteForceRule = { name: 'SSH brute force', threshold: 5, window: 60_000, actions: ['block_ip', 'alert_critical'] };
const fail = (ip: string, extra: Partial<AuthFailure> = {}): AuthFailure => ({ ip, kind: 'invalid_user', program: 'sshd', pattern: 'invalid-user', user: 'admin', ...extra });

describe('detectBruteForce', () => {
  const scheduler = () => new TestScheduler((a, b) => assert.deepEqual(a, b));

  test('marble: the 6th failure of one address within 60 s raises one incident naming it', () => {
    const ts = scheduler();
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const values = { a: fail('203.0.113.7'), b: fail('198.51.100.1') };
      const src = cold('a 1s a 1s a 1s b 1s a 1s a 1s a 1s a|', values);
      const incident = (at: number): Incident => ({
        key: 'auth_failures|SSH brute force|203.0.113.7',
        name: 'SSH brute force',
        severity: 'critical',
        description: '6 SSH auth failures from 203.0.113.7 within 60s (threshold 5)',
        actions: ['block_ip', 'alert_critical'],
        metadata: {
          monitorType: 'auth_failures',
          threshold: 5,
          currentValue: 6,
          details: 'offending IPs: 203.0.113.7 (6 failures: invalid_user ×6; users tried: "admin" ×6)',
          ips: ['203.0.113.7'],
        },
        ts: at,
        status: 'firing',
        count: 1,
      });
      // a at 0, 1001, 2002, (b 3003), 4004, 5005, 6006: the 6th a fires; the 7th starts afresh
      expectObservable(src.pipe(detectBruteForce(rule, { scheduler: ts }))).toBe('6006ms x 1001ms |', { x: incident(6006) });
      expectSubscriptions(src.subscriptions).toBe('^ 7007ms !');
    });
  });

  test('marble: failures spread wider than the window never fire', () => {
    const ts = scheduler();
    ts.run(({ cold, expectObservable }) => {
      const src = cold('a 15s a 15s a 15s a 15s a 15s a 15s a|', { a: fail('203.0.113.7') });
      expectObservable(src.pipe(detectBruteForce(rule, { scheduler: ts }))).toBe('90007ms |');
    });
  });

  test('marble: source errors and empty sources pass through', () => {
    const ts = scheduler();
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('a #', { a: fail('1.1.1.1') }).pipe(detectBruteForce(rule, { scheduler: ts }))).toBe('- #');
      expectObservable(cold<AuthFailure>('|').pipe(detectBruteForce(rule, { scheduler: ts }))).toBe('|');
    });
  });

  test('a throwing timeOf errors the stream', () => {
    const errors: unknown[] = [];
    from([fail('1.1.1.1')])
      .pipe(detectBruteForce(rule, { timeOf: () => { throw new Error('bad clock'); } }))
      .subscribe({ error: (e) => errors.push(e) });
    assert.match(String(errors[0]), /bad clock/);
  });

  test('10,000 attacking addresses within one window: each gets exactly one incident with its IP', () => {
    const failures: AuthFailure[] = [];
    for (let round = 0; round < 6; round++) for (let i = 0; i < 10_000; i++) failures.push(fail(`2001:db8::${i.toString(16)}`, { ts: round * 1000 + i / 100 }));
    const incidents: Incident[] = [];
    from(failures).pipe(detectBruteForce(rule, { timeOf: (f) => f.ts! })).subscribe((i) => incidents.push(i));
    assert.equal(incidents.length, 10_000);
    assert.equal(new Set(incidents.map((i) => i.metadata.ips![0])).size, 10_000);
    assert.ok(incidents.every((i) => i.metadata.monitorType === 'auth_failures' && i.metadata.currentValue === 6));
  });
});

describe('detectBruteForce: offenders, event time, held lines', () => {
  test('IPv6 rotating inside one /64 (10 addresses × 5 failures) is one offender with ipv6Prefix 64; per address without it', () => {
    const failures: AuthFailure[] = [];
    for (let round = 0; round < 5; round++) for (let i = 1; i <= 10; i++) failures.push(fail(`2001:db8:1:2::${i.toString(16)}`, { ts: round * 1000 + i }));
    const per64: Incident[] = [];
    from(failures).pipe(detectBruteForce(rule, { ipv6Prefix: 64 })).subscribe((i) => per64.push(i));
    assert.equal(per64.length, 8, '50 failures of one /64: an incident per 6');
    assert.equal(per64[0]!.key, 'auth_failures|SSH brute force|2001:db8:1:2::/64');
    assert.deepEqual(per64[0]!.metadata.ips, ['2001:db8:1:2::1', '2001:db8:1:2::2', '2001:db8:1:2::3', '2001:db8:1:2::4', '2001:db8:1:2::5', '2001:db8:1:2::6']);
    assert.match(per64[0]!.description, /6 SSH auth failures from 2001:db8:1:2::\/64/);
    const perAddress: Incident[] = [];
    from(failures).pipe(detectBruteForce(rule)).subscribe((i) => perAddress.push(i));
    assert.equal(perAddress.length, 0, 'each address alone stays at 5');
    // v4 is never grouped; one v6 address in two spellings is one offender
    const spelled: Incident[] = [];
    from([...Array(3).fill(fail('2001:DB8::7')), ...Array(3).fill(fail('2001:db8:0::7'))]).pipe(detectBruteForce(rule, { ipv6Prefix: 128 })).subscribe((i) => spelled.push(i));
    assert.equal(spelled.length, 1);
    assert.equal(spelled[0]!.key, 'auth_failures|SSH brute force|2001:db8::7');
  });

  test("windows are judged on the line's own timestamp: failures a minute apart, read at once, never fire", () => {
    const incidents: Incident[] = [];
    const failures = Array.from({ length: 12 }, (_, i) => fail('203.0.113.7', { ts: 1_700_000_000_000 + i * 60_000 }));
    from(failures).pipe(detectBruteForce(rule)).subscribe((i) => incidents.push(i));
    assert.equal(incidents.length, 0);
  });

  test('the cursor passes a line once it left the window, or once the ban it raised was carried out — not when the ban failed', () => {
    // a real ledger: line n ends at byte n+1, so settledEnd counts the settled lines from the start
    const ledger = new LineLedger(0, () => {});
    const src = new Subject<AuthFailure>();
    const incidents: Incident[] = [];
    src.pipe(detectBruteForce(rule)).subscribe((i) => incidents.push(i));
    let n = 0;
    const line = (ip: string, ts: number) => ledger.handOut(ip, ++n, (l) => src.next(fail(ip, { ts, hold: l.hold })));
    for (let k = 0; k < 6; k++) line('203.0.113.1', 1000 + k); // lines 1-6: a fires
    for (let k = 0; k < 6; k++) line('203.0.113.2', 2000 + k); // lines 7-12: b fires
    line('203.0.113.3', 3000); // line 13: c, below the threshold
    assert.equal(incidents.length, 2);
    assert.equal(ledger.settledEnd, 0, 'nothing settled before the bans are reported');
    incidents[1]!.onHandled!(false); // b's ban did not happen: its lines stay held
    assert.equal(ledger.settledEnd, 0);
    incidents[0]!.onHandled!(true);
    assert.equal(ledger.settledEnd, 6, "a's lines settled by its ban");
    line('203.0.113.4', 2005 + 60_000); // line 14: a window after b's last failure
    assert.equal(ledger.settledEnd, 12, "b's lines settled by the window");
    line('203.0.113.4', 3000 + 60_000); // line 15: a window after c
    assert.equal(ledger.settledEnd, 13);
    assert.equal(ledger.size, 2, 'only the lines still held are kept');
  });
});
