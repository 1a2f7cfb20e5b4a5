/**
 * The TypeScript API (`panicmode/testing`) under TestScheduler.run: the agent's rules,
 * incident flow, handler and alert path built from a config, fed by cold and hot
 * marbles, asserted with expectObservable. The same example as docs/rule-testing.md.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { map, merge, timer, VirtualAction, VirtualTimeScheduler } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { buildRulePipeline, createTestFirewall, flushSettling, snapshot, testConfig, type BanEvent } from '../../src/testing/index.js';

const config = testConfig(`
anomaly: { enabled: false }
monitors:
  - { name: Disk full, type: disk_usage, threshold: 95, paths: ["/"], actions: [snapshot, alert_critical] }
  - { name: SSH brute force, type: auth_failures, threshold: 2, window: 60s, actions: [block_ip, alert_critical] }
`);
const failed = (ip: string) => `Jan  1 00:00:00 h sshd[9]: Failed password for root from ${ip} port 22 ssh2`;

test('a disk rule and an SSH rule: incidents, actions and alerts at marble times', () => {
  const scheduler = new TestScheduler((actual, expected) => assert.deepEqual(actual, expected));
  scheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
    const metrics$ = cold('   a 4999ms b 4999ms c 4999ms d 4999ms d 4999ms d|', {
      a: snapshot({ 'disk.mounts[/].usagePercent': 90 }),
      b: snapshot({ 'disk.mounts[/].usagePercent': 97 }),
      c: snapshot({ 'disk.mounts[/].usagePercent': 98 }),
      d: snapshot({ 'disk.mounts[/].usagePercent': 50 }),
    });
    const lines$ = hot('       ^ 1s x 999ms x 999ms y 999ms x 20s |', { x: failed('203.0.113.7'), y: failed('203.0.113.8') });
    const p = buildRulePipeline(config, { metrics$, lines$ }, scheduler);

    // SSH: the third failure of .7 within the window (threshold 2) at 4001; the disk:
    // firing at 5 s (dedup swallows the 10 s repeat), resolved after 3 clear checks;
    // the path runs on after its inputs end (as the agent does): watched for 30 s
    const times = '4001ms s 998ms f 19999ms r';
    const watch = '30s !';
    expectObservable(p.incidents$.pipe(map((i) => `${i.name}: ${i.status}`)), watch).toBe(times, {
      s: 'SSH brute force: firing',
      f: 'Disk full: firing',
      r: 'Disk full: resolved',
    });
    // protective first and awaited (the ban), background after (snapshot); never executed
    expectObservable(p.actions$, watch).toBe('4001ms b 998ms s', {
      b: { action: 'block_ip', rule: 'SSH brute force', target: '203.0.113.7' },
      s: { action: 'snapshot', rule: 'Disk full' },
    });
    // no firewall given: nothing is banned (bans: the test below)
    expectObservable(p.bans$, watch).toBe('');
    // out of the rate limit, with the channels routing picks: no alerts: section, so the console takes every severity
    expectObservable(p.alerts$, watch).toBe(times, {
      s: { name: 'SSH brute force', status: 'firing', severity: 'critical', count: 1, channels: ['console'] },
      f: { name: 'Disk full', status: 'firing', severity: 'critical', count: 1, channels: ['console'] },
      r: { name: 'Disk full', status: 'resolved', severity: 'critical', count: 1, channels: ['console'] },
    });
    expectSubscriptions(metrics$.subscriptions).toBe('^ 25000ms !');
    expectSubscriptions(lines$.subscriptions).toBe('^ 24001ms !');
  });
});

test('bans are the real ban manager\'s (createTestFirewall), its work settled at each virtual instant (flushSettling)', async () => {
  const scheduler = new VirtualTimeScheduler(VirtualAction, 3 * 3_600_000);
  const firewall = await createTestFirewall(config, scheduler);
  // .7 fails three times, and again an hour and a minute later (a repeat offender: banned
  // twice as long); the private 10.0.0.5 as often, and is never banned
  const at = (ms: number[], ip: string) => ms.map((t) => timer(t, scheduler).pipe(map(() => failed(ip))));
  const lines$ = merge(...at([1000, 2000, 3000, 3_661_000, 3_662_000, 3_663_000], '203.0.113.7'), ...at([1000, 2000, 3000], '10.0.0.5'));
  const p = buildRulePipeline(config, { lines$ }, scheduler, { firewall });
  const bans: (BanEvent & { at: number })[] = [];
  const sub = p.bans$.subscribe((b) => bans.push({ ...b, at: scheduler.now() }));
  try {
    await flushSettling(scheduler, p.busy);
  } finally {
    sub.unsubscribe();
    await firewall.close();
  }
  assert.deepEqual(bans, [
    { at: 3000, ip: '203.0.113.7', until: 3000 + 3_600_000, rule: 'SSH brute force' },
    { at: 3_663_000, ip: '203.0.113.7', until: 3_663_000 + 7_200_000, rule: 'SSH brute force' },
  ]);
});
