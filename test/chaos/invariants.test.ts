/**
 * The chaos checker on hand-made records: a clean run passes, and each way an agent can
 * fail trips exactly the invariant that names it (so the checker cannot be vacuous).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkInvariants, type CtlListAnswer, type GroundTruth, type ObservedRecord, type Violation } from './invariants.js';
import type { BanState } from '../../src/firewall/ban-manager.js';

const T0 = 1_800_000_000_000;
const BAN = 10_000;

const truth: GroundTruth = {
  monitor: 'ssh',
  threshold: 5,
  banDurationMs: BAN,
  attackers: [
    { target: '198.18.0.1', failures: 6 },
    { target: '198.18.0.2', failures: 6 },
    { target: '2001:db8:1:2::/64', failures: 12 },
  ],
  innocents: [
    { address: '198.19.0.1', failures: 2 },
    { address: '8.8.8.8', failures: 0 },
  ],
  protectedAddresses: ['198.51.100.7', '10.0.0.5'],
};

/** A `ctl list` asked at `at` and answered 20 ms later, every ban in `state`. */
const list = (at: number, ips: readonly string[], state: BanState = 'in force', answeredAt = at + 20): CtlListAnswer => ({
  at,
  answeredAt,
  bans: ips.map((ip) => ({ ip, state })),
});

/** A clean run: three bans at +1 s, listed at +2 s, lifted at +11 s, SIGTERM at +15 s, 1 alert + a summary of 2. */
const clean = (): ObservedRecord => ({
  runs: [{ startedAt: T0, endedAt: T0 + 15_000, end: 'sigterm' }],
  calls: [
    ...truth.attackers.map((a, i) => ({ verb: 'block' as const, target: a.target, at: T0 + 1000 + i * 10 })),
    ...truth.attackers.map((a, i) => ({ verb: 'unblock' as const, target: a.target, at: T0 + 11_000 + i * 10 })),
  ],
  alerts: [
    { name: 'ssh', status: 'firing', count: 1, ips: ['198.18.0.1'] },
    { name: 'ssh', status: 'firing', count: 2, ips: ['198.18.0.2'] },
    { name: 'PanicMode storage fallback', status: 'firing', count: 1, ips: [] },
  ],
  incidents: [
    { name: 'ssh', status: 'firing', ts: T0 + 990, ips: ['198.18.0.1'] },
    { name: 'ssh', status: 'firing', ts: T0 + 995, ips: ['198.18.0.2'] },
    { name: 'ssh', status: 'firing', ts: T0 + 999, ips: ['2001:db8:1:2::/64'] },
  ],
  ctlList: list(T0 + 2000, truth.attackers.map((a) => a.target)),
  shutdown: { budgetMs: 12_000, exitedAfterMs: 800 },
});

const invariantsOf = (vs: Violation[]) => [...new Set(vs.map((v) => v.invariant))].sort();
const messages = (vs: Violation[]) => vs.map((v) => v.message).join('\n');

test('a clean record passes', () => {
  assert.deepEqual(checkInvariants(truth, clean()), []);
});

test('a restart that re-applies a live ban is a restoration, and a ban due while the agent was down is lifted at the next start', () => {
  const r = clean();
  const runs: ObservedRecord['runs'] = [
    { startedAt: T0, endedAt: T0 + 5000, end: 'kill9' },
    { startedAt: T0 + 14_000, endedAt: T0 + 20_000, end: 'sigterm' },
  ];
  const calls = [
    ...truth.attackers.map((a) => ({ verb: 'block' as const, target: a.target, at: T0 + 1000 })),
    ...truth.attackers.map((a) => ({ verb: 'unblock' as const, target: a.target, at: T0 + 14_500 })),
  ];
  assert.deepEqual(checkInvariants(truth, { ...r, runs, calls }), []);
});

test('an attacker never banned', () => {
  const r = clean();
  const calls = r.calls.filter((c) => c.target !== '198.18.0.2');
  const v = checkInvariants(truth, { ...r, calls, ctlList: list(T0 + 2000, ['198.18.0.1', '2001:db8:1:2::/64']) });
  assert.deepEqual(invariantsOf(v), ['attacker banned']);
  assert.match(messages(v), /1 of 3 attackers over the threshold \(> 5 failures\) were never banned \(no block call\): 198\.18\.0\.2/);
});

test('an attacker blocked twice in one run (overlapping pipelines), and one banned again after its lift', () => {
  const r = clean();
  const calls = [
    ...r.calls,
    { verb: 'block' as const, target: '198.18.0.1', at: T0 + 1500 },
    { verb: 'block' as const, target: '198.18.0.2', at: T0 + 12_000 },
  ];
  const v = checkInvariants(truth, { ...r, calls });
  assert.deepEqual(invariantsOf(v), ['banned once']);
  assert.match(messages(v), /198\.18\.0\.1 \(2 block calls in run 1, 0 reloads after its ban\)/);
  assert.match(messages(v), /198\.18\.0\.2 \(2 bans: lifted at .*, then banned again\)/);
});

test('a reload may re-apply a live ban once (reconciling), not more', () => {
  const r = clean();
  const again = (at: number) => truth.attackers.map((a) => ({ verb: 'block' as const, target: a.target, at }));
  const calls = [...r.calls, ...again(T0 + 3000), ...again(T0 + 5000)];
  const oneReload = { ...r, runs: [{ ...r.runs[0]!, reloads: [T0 + 3100] }], calls: [...r.calls, ...again(T0 + 3000)] };
  assert.deepEqual(checkInvariants(truth, oneReload), []);
  const v = checkInvariants(truth, { ...oneReload, calls });
  assert.deepEqual(invariantsOf(v), ['banned once']);
  assert.match(messages(v), /3 attackers were blocked more than once while their ban was in force: 198\.18\.0\.1 \(3 block calls in run 1, 1 reloads after its ban\)/);
});

test('bans never lifted, lifted early, lifted late', () => {
  const r = clean();
  const calls = r.calls.filter((c) => !(c.verb === 'unblock' && c.target === '198.18.0.1'))
    .map((c) => (c.verb === 'unblock' && c.target === '198.18.0.2' ? { ...c, at: T0 + 1800 } : c));
  const longer = { ...r, runs: [{ ...r.runs[0]!, endedAt: T0 + 30_000 }], calls, ctlList: list(T0 + 1500, truth.attackers.map((a) => a.target)) };
  const v = checkInvariants(truth, longer);
  assert.deepEqual(invariantsOf(v), ['lifted on time']);
  assert.match(messages(v), /1 bans were never lifted \(no unblock call\): 198\.18\.0\.1/);
  assert.match(messages(v), /1 bans were lifted early: 198\.18\.0\.2 after 0\.8 s \(ban 10\.0 s\)/);

  const lateCalls = r.calls.map((c) => (c.verb === 'unblock' && c.target === '198.18.0.1' ? { ...c, at: T0 + 20_000 } : c));
  const lateV = checkInvariants(truth, { ...longer, calls: lateCalls });
  assert.match(messages(lateV), /lifted late: 198\.18\.0\.1 9\.0 s after its end/);
});

test('a ban not yet due when the scenario ends is not reported as never lifted', () => {
  const r = clean();
  const calls = r.calls.filter((c) => c.verb === 'block');
  assert.deepEqual(checkInvariants(truth, { ...r, runs: [{ ...r.runs[0]!, endedAt: T0 + 9000 }], calls }), []);
});

test('protected, innocent and unknown addresses banned', () => {
  const r = clean();
  const calls = [
    ...r.calls,
    { verb: 'block' as const, target: '198.51.100.7', at: T0 + 1000 },
    { verb: 'block' as const, target: '198.19.0.1', at: T0 + 1000 },
    { verb: 'block' as const, target: '6.6.6.6', at: T0 + 1000 },
    ...['198.51.100.7', '198.19.0.1', '6.6.6.6'].map((target) => ({ verb: 'unblock' as const, target, at: T0 + 11_000 })),
  ];
  const v = checkInvariants(truth, { ...r, calls, ctlList: list(T0 + 500, []) });
  assert.deepEqual(invariantsOf(v), ['innocent never banned', 'protected never banned']);
  assert.match(messages(v), /1 protected \(whitelisted or never-block\) addresses were banned: 198\.51\.100\.7/);
  assert.match(messages(v), /1 innocent addresses were banned: 198\.19\.0\.1 \(2 failures, threshold 5\)/);
  assert.match(messages(v), /no scenario line attributes to an attacker were banned: 6\.6\.6\.6/);
});

test('incidents raised twice in a run, and alerts that do not account for every incident', () => {
  const r = clean();
  const incidents = [...r.incidents, { name: 'ssh', status: 'firing', ts: T0 + 1200, ips: ['198.18.0.1'] }];
  const alerts = r.alerts.slice(0, 1);
  const v = checkInvariants(truth, { ...r, incidents, alerts });
  assert.deepEqual(invariantsOf(v), ['every incident alerted', 'one incident per attack']);
  assert.match(messages(v), /198\.18\.0\.1 \(2 incidents in run 1\)/);
  assert.match(messages(v), /3 attacks owed an alert .* the 1 alerts delivered account for 1 \(counts: 1\): 2 incidents were never alerted nor summarised/);
});

test('an agent that died on its own, a ctl list that fails or disagrees, a SIGTERM not obeyed', () => {
  const r = clean();
  const died = { ...r, runs: [{ startedAt: T0, endedAt: T0 + 400, end: { code: null, signal: 'SIGHUP' } }, { ...r.runs[0]!, startedAt: T0 + 500 }] };
  const v1 = checkInvariants(truth, { ...died, ctlList: { at: T0 + 2000, error: 'no agent is listening' }, shutdown: { budgetMs: 12_000, exitedAfterMs: null } });
  assert.deepEqual(invariantsOf(v1), ['SIGTERM within budget', 'agent stays up', 'ctl list']);
  assert.match(messages(v1), /run 1 ended on its own 0\.4 s after start \(exit code null, signal SIGHUP\)/);
  assert.match(messages(v1), /ctl list got no answer: no agent is listening/);
  assert.match(messages(v1), /did not exit after SIGTERM/);

  const v2 = checkInvariants(truth, { ...r, ctlList: list(T0 + 2000, ['198.18.0.1', '203.0.113.99']), shutdown: { budgetMs: 12_000, exitedAfterMs: 13_500 } });
  assert.deepEqual(invariantsOf(v2), ['SIGTERM within budget', 'ctl list']);
  assert.match(messages(v2), /ctl list omits 2 of the 3 bans the firewall holds .*: 198\.18\.0\.2, 2001:db8:1:2::\/64/);
  assert.match(messages(v2), /ctl list shows 1 bans the firewall does not hold: 203\.0\.113\.99/);
  assert.match(messages(v2), /took 13\.5 s to exit after SIGTERM \(budget 12\.0 s\)/);
});

test('ctl list is exact about bans being lifted: held until the answer → listed; unblocked before the ask → gone, or listed lifting', () => {
  const r = clean();
  const all = truth.attackers.map((a) => a.target);
  // The bans end at T0 + 11 000 (+10 ms each), when their unblock calls are logged.
  // Asked at 10 995 and answered at 10 997, before any unblock ran: all are held, all listed.
  const before = checkInvariants(truth, { ...r, ctlList: list(T0 + 10_995, [], 'in force', T0 + 10_997) });
  assert.deepEqual(invariantsOf(before), ['ctl list']);
  assert.match(messages(before), /ctl list omits 3 of the 3 bans the firewall holds/);
  assert.deepEqual(checkInvariants(truth, { ...r, ctlList: list(T0 + 10_995, all, 'lifting', T0 + 10_997) }), [], 'due: listed, lifting');
  assert.deepEqual(checkInvariants(truth, { ...r, ctlList: list(T0 + 10_995, all, 'in force', T0 + 10_997) }), [], 'the timer may not have fired yet');

  // Answered at 11 030, after every unblock was logged: the list may have been taken before or after each returned.
  assert.deepEqual(checkInvariants(truth, { ...r, ctlList: list(T0 + 10_995, [], 'in force', T0 + 11_030) }), []);
  assert.deepEqual(checkInvariants(truth, { ...r, ctlList: list(T0 + 10_995, all, 'in force', T0 + 11_030) }), []);
  // ...but 2001:db8:1:2::/64's unblock (at 11 020) comes after an answer at 11 015: it is still held.
  const partly = checkInvariants(truth, { ...r, ctlList: list(T0 + 10_995, ['198.18.0.1'], 'lifting', T0 + 11_015) });
  assert.match(messages(partly), /ctl list omits 1 of the 1 bans the firewall holds .*: 2001:db8:1:2::\/64/);

  // Asked at 11 500, after the unblocks were logged: gone (returned), or listed lifting (not returned yet, or failed).
  assert.deepEqual(checkInvariants(truth, { ...r, ctlList: list(T0 + 11_500, []) }), []);
  assert.deepEqual(checkInvariants(truth, { ...r, ctlList: list(T0 + 11_500, all, 'lifting') }), []);
  const stale = checkInvariants(truth, { ...r, ctlList: list(T0 + 11_500, ['198.18.0.2'], 'in force') });
  assert.deepEqual(invariantsOf(stale), ['ctl list']);
  assert.match(messages(stale), /ctl list shows 1 bans as in force after their unblock was called \(they must be lifting\): 198\.18\.0\.2/);

  // Long before their end: all held, none may be missing.
  const early = checkInvariants(truth, { ...r, ctlList: list(T0 + 8_000, []) });
  assert.match(messages(early), /ctl list omits 3 of the 3 bans the firewall holds/);
});
