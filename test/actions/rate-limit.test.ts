import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Subject } from 'rxjs';
import { loadConfigText } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';
import { buildActions, rateLimitDefinitions, usedConnectionRates } from '../../src/actions/registry.js';
import { rateLimitAction } from '../../src/actions/rate-limit.js';
import { createRateLimiter } from '../../src/firewall/rate-limiter.js';
import { createNeverBlock } from '../../src/firewall/never-block.js';
import { createCpuCapper } from '../../src/throttle/cpu-capper.js';
import { createHost } from '../../src/host/host.js';
import { cpuCapVictim } from '../../src/throttle/cpu-cap-victim.js';
import { ownChildren, waitUntil, cpuTicksOf } from './own-children.js';
import { testDeps } from './process-deps.js';
import { defaultMassFreezePolicy } from '../../src/config/mass-freeze.js';
import { memoryLogger } from '../../src/log/logger.js';
import type { Incident } from '../../src/model/incident.js';
import { spawnBurner, burningPid, procState, type Burner } from '../throttle/cpu-burner.js';
import { asyncScheduler } from 'rxjs';

const host = createHost();
const burners: Burner[] = [];
after(async () => {
  for (const b of burners) await b.kill();
});

const incident = (over: Partial<Incident> & { metadata: Incident['metadata'] }): Incident => ({
  key: 'k1',
  name: 'flood',
  severity: 'critical',
  description: 'd',
  actions: ['rate_limit'],
  ts: 0,
  status: 'firing',
  count: 1,
  ...over,
});
const ctx = (i: Incident, dryRun = false) => ({ incident: i, dryRun, signal: new AbortController().signal });

const config = (extra: string) =>
  loadConfigText(
    `monitors:
  - {name: flood, type: connection_rate, threshold: 100, actions: [rate_limit, slow, alert_critical]}
  - {name: cpu, type: cpu_usage, threshold: 95, actions: [rate_limit]}
${extra}`,
    'test.yaml',
  );

test('config: rate_limit is built in (10/s, a ban\'s length, 25 % of a CPU); a firewall action with a rate limits instead of banning', async () => {
  const c = await config(`actions:
  slow: {type: firewall, rate: 0.5/s, duration: 10m, cpu: 40}
  ban_long: {type: firewall, duration: 1d}
firewall: {ban_duration: 2h}
`);
  const defs = rateLimitDefinitions(c);
  assert.deepEqual(defs.get('rate_limit'), { rate: { count: 10, per: 'second' }, durationMs: 7_200_000, cpuShare: 0.25 });
  assert.deepEqual(defs.get('slow'), { rate: { count: 30, per: 'minute' }, durationMs: 600_000, cpuShare: 0.4 });
  assert.equal(defs.has('ban_long'), false);
  assert.deepEqual(usedConnectionRates(c), [{ count: 30, per: 'minute' }, { count: 10, per: 'second' }], 'the rates monitors name: the nft sets to make');
  const built = buildActions(c, { host, logger: memoryLogger(), firewall: null, processes: testDeps(host), massFreeze: defaultMassFreezePolicy() });
  assert.equal(built.unavailable.has('rate_limit'), false, 'no longer "not available yet"');
  assert.equal(built.registry.get('slow')!.kind, 'protective');
  // Built without a limiter or capper, each half says why it did nothing.
  const r = await built.registry.get('rate_limit')!.run(ctx(incident({ metadata: { monitorType: 'connection_rate', threshold: 1, currentValue: 2, details: '', ips: ['203.0.113.7'] } })));
  assert.deepEqual(r, { outcome: 'skipped', summary: 'not limiting 203.0.113.7: no connection limiter (firewall.enabled is false)' });
});

test('config: bad rates and CPU shares exit with their place', async () => {
  for (const [yaml, place] of [
    ['rate_limit: {type: firewall, rate: 0/s}', 'actions.rate_limit.rate'],
    ['rate_limit: {type: firewall, cpu: 100}', 'actions.rate_limit.cpu'],
    ['rate_limit: {type: firewall, cpu: 0}', 'actions.rate_limit.cpu'],
    ['ban: {type: firewall, cpu: 30}', 'actions.ban.cpu'],
  ] as const) {
    await assert.rejects(config(`actions:\n  ${yaml}\n`), (err: unknown) => err instanceof ConfigError && err.problems.some((p) => p.includes(place)), yaml);
  }
});

test('an IP incident is limited per source (dry-run plans only); the never-block list applies', async () => {
  const batches: string[] = [];
  const limiter = createRateLimiter({
    run: async (args, stdin) => (args[0] === '-f' && batches.push(stdin!), { code: 0, stdout: '{"nftables":[]}', stderr: '' }),
    rates: [{ count: 10, per: 'second' }],
    neverBlock: createNeverBlock({ whitelist: [], ownAddresses: () => [] }),
    ipv6Prefix: 64,
    logger: memoryLogger(),
  });
  await limiter.start();
  batches.length = 0;
  const action = rateLimitAction({ rate: { count: 10, per: 'second' }, durationMs: 3_600_000, cpuShare: 0.25, connections: limiter, processes: 'unused' });
  const i = incident({ metadata: { monitorType: 'connection_rate', threshold: 100, currentValue: 900, details: 'from 203.0.113.7 and 10.0.0.5' } });
  const dry = await action.run(ctx(i, true));
  assert.equal(dry.outcome, 'dry_run');
  assert.equal(dry.summary, 'would limit 1 IP to 10/s new connections for 1h: 203.0.113.7; skipped 10.0.0.5 (RFC 1918 private address)');
  assert.deepEqual(batches, [], 'dry-run runs no batch');
  const real = await action.run(ctx(i));
  assert.deepEqual({ ...real }, { outcome: 'ok', summary: 'limited 1 IP to 10/s new connections for 1h: 203.0.113.7; skipped 10.0.0.5 (RFC 1918 private address)', target: '203.0.113.7' });
  assert.deepEqual(batches, ['add element inet panicmode rl_10_second_v4 { 203.0.113.7 timeout 1h }\n']);
  const again = await action.run(ctx(i));
  assert.equal(again.outcome, 'skipped');
  assert.match(again.summary, /^1 already limited/);
});

test('a process incident caps its victim (a real burner), and the cap lifts when the incident resolves', async () => {
  const b = spawnBurner(60);
  burners.push(b);
  const pid = await burningPid(b);
  const resolvedKeys$ = new Subject<string>();
  const capper = createCpuCapper({ host, logger: memoryLogger(), spareNow: () => () => null, dutyPeriodMs: 50 });
  const action = rateLimitAction({
    rate: { count: 10, per: 'second' },
    durationMs: null,
    cpuShare: 0.3,
    connections: 'unused',
    processes: { capper, pickVictim: async () => pid },
    resolvedKeys$,
  });
  try {
    const i = incident({ key: 'cpu-hog', metadata: { monitorType: 'cpu_usage', threshold: 95, currentValue: 99, details: '', pids: [pid] } });
    const dry = await action.run(ctx(i, true));
    assert.equal(dry.outcome, 'dry_run');
    assert.deepEqual(capper.list(), [], 'dry-run caps nothing');
    const r = await action.run(ctx(i));
    assert.equal(r.outcome, 'ok');
    assert.equal(r.target, String(pid));
    assert.match(r.summary, new RegExp(`^capped sh \\(pid ${pid}\\) at 30% of a CPU by SIGSTOP/SIGCONT duty cycle$`));
    let sawStopped = false;
    for (let n = 0; n < 200 && !sawStopped; n++) {
      sawStopped = procState(pid) === 'T';
      await sleep(2);
    }
    assert.ok(sawStopped, 'the duty cycle stops it part of the time');
    resolvedKeys$.next('another-incident');
    assert.equal(capper.list().length, 1, 'another incident resolving lifts nothing');
    resolvedKeys$.next('cpu-hog');
    for (let n = 0; n < 100 && capper.list().length > 0; n++) await sleep(10);
    assert.deepEqual(capper.list(), []);
    await sleep(120);
    assert.notEqual(procState(pid), 'T', 'running again');
  } finally {
    await capper.stop();
    await b.kill();
  }
});

test('the busiest process is capped, chosen as process actions choose (whitelist spared); nothing to limit is said plainly', async () => {
  const kids = ownChildren();
  try {
    const burn = ['-c', 'while :; do :; done'];
    const busy = kids.spawn('/bin/sh', burn);
    const listed = kids.spawn(kids.binaryNamed('precious-job', '/bin/sh'), burn);
    await waitUntil(() => cpuTicksOf(busy.pid!) > 5 && cpuTicksOf(listed.pid!) > 5, 10_000, 'burners burning');
    const i = incident({ metadata: { monitorType: 'load_average', threshold: 4, currentValue: 9, details: '' } });
    const logger = memoryLogger();
    const pick = cpuCapVictim({ host: kids.host(), wait: (ms: number) => sleep(ms).then(() => undefined), whitelist: ['precious'], logger });
    assert.equal(await pick(i), busy.pid, 'the burner that is not whitelisted');
    const none = cpuCapVictim({ host: kids.host(), wait: (ms: number) => sleep(ms).then(() => undefined), whitelist: ['precious', 'sh'], logger });
    assert.equal(await none(i), 'every busy process is spared');
    assert.ok(logger.lines.some((l) => l.includes('rate_limit: process spared')), logger.lines.join('\n'));
  } finally {
    await kids.killAll();
  }
  const action = rateLimitAction({ rate: { count: 1, per: 'second' }, durationMs: null, cpuShare: 0.5, connections: 'x', processes: 'x' });
  const r = await action.run(ctx(incident({ metadata: { monitorType: 'disk_usage', threshold: 90, currentValue: 95, details: '/ is full' } })));
  assert.deepEqual(r, { outcome: 'skipped', summary: 'nothing to limit: the incident names no address and no process' });
});
