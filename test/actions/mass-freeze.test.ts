/**
 * The mass_freeze family on real processes, seen through a Host that lists and signals
 * only this test's children (an untargeted mass_freeze on this shared machine would stop
 * the test runner and the other helpers' work):
 *  - mass_freeze (all): everyone but the protected, the whitelisted and root's;
 *  - mass_freeze_cluster: the compat policy's name lists, and our selectors (cmdline
 *    regex, users);
 *  - mass_freeze_top: the top K by CPU whatever the whitelist says, sshd still spared.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ownChildren, stateOf, waitUntil, cpuTicksOf } from './own-children.js';
import { testDeps, incidentOf, ctxOf } from './process-deps.js';
import { massFreezeAction } from '../../src/actions/mass-freeze.js';
import { massFreezeClusterAction } from '../../src/actions/mass-freeze-cluster.js';
import { massFreezeTopAction } from '../../src/actions/mass-freeze-top.js';
import { loadMassFreezePolicyFile, loadMassFreezePolicyText } from '../../src/config/mass-freeze.js';

const nobody = { uid: 65534, gid: 65534 };
const compat = '/work/shared/compat/panicmode/mass_freeze.yaml';
const up = (pids: (number | undefined)[]) => waitUntil(() => pids.every((p) => stateOf(p!) !== null), 5_000, 'children up');

test('mass_freeze (all): freezes every process but the protected, the whitelisted and root\'s; each skip logged', { timeout: 30_000 }, async () => {
  const kids = ownChildren();
  try {
    const worker = kids.spawn(kids.binaryNamed('worker'), ['30'], nobody);
    const precious = kids.spawn(kids.binaryNamed('precious-db'), ['30'], nobody);
    const rootOne = kids.spawn('/bin/sleep', ['30']);
    const sshd = kids.spawn(kids.binaryNamed('sshd'), ['30'], nobody);
    const login = kids.spawn('/bin/sleep', ['30'], { ...nobody, argv0: '-bash' });
    await up([worker.pid, precious.pid, rootOne.pid, sshd.pid, login.pid]);
    const deps = testDeps(kids.host());
    const policy = loadMassFreezePolicyText('whitelist_processes: [precious]\n');
    const out = await massFreezeAction(deps, { policy }).run(ctxOf(incidentOf('memory_usage')));
    assert.equal(out.outcome, 'ok', out.summary);
    assert.equal(out.target, String(worker.pid));
    await waitUntil(() => stateOf(worker.pid!) === 'T', 5_000, 'worker stopped');
    for (const p of [precious, rootOne, sshd, login]) assert.notEqual(stateOf(p.pid!), 'T', `pid ${p.pid} must run`);
    const log = deps.lines.join('\n');
    assert.match(log, new RegExp(`spared pid ${precious.pid} \\(precious-db\\): whitelisted \\(precious\\)`));
    assert.match(log, new RegExp(`spared pid ${rootOne.pid} \\(sleep\\): root's`));
    assert.match(log, new RegExp(`spared pid ${sshd.pid} \\(sshd\\): sshd`));
    assert.match(log, new RegExp(`spared pid ${login.pid} \\(sleep\\): a user's login shell`));
    assert.deepEqual(deps.frozen.list().map((f) => f.pid), [worker.pid]);
  } finally {
    await kids.killAll();
  }
});

test('mass_freeze (all) with the policy\'s dry_run: says what it would freeze, stops nothing', { timeout: 30_000 }, async () => {
  const kids = ownChildren();
  try {
    const worker = kids.spawn(kids.binaryNamed('worker'), ['30'], nobody);
    await up([worker.pid]);
    const host = kids.host();
    const out = await massFreezeAction(testDeps(host), { policy: loadMassFreezePolicyText('dry_run: true\n') }).run(ctxOf(incidentOf()));
    assert.equal(out.outcome, 'dry_run');
    assert.match(out.summary, new RegExp(`would freeze pid ${worker.pid} \\(worker\\)`));
    assert.deepEqual(host.signals, []);
  } finally {
    await kids.killAll();
  }
});

test('mass_freeze_cluster: the compat policy (unchanged) freezes its website cluster by name; a selector cluster by cmdline and user', { timeout: 30_000 }, async () => {
  const kids = ownChildren();
  try {
    const nginx = kids.spawn(kids.binaryNamed('nginx'), ['30'], nobody);
    const php = kids.spawn(kids.binaryNamed('php-fpm7.4'), ['30'], nobody);
    const other = kids.spawn(kids.binaryNamed('other'), ['30'], nobody);
    const marked = kids.spawn('/bin/sh', ['-c', 'sleep 30 # pm-mass-marker-1'], nobody);
    const markedRoot = kids.spawn('/bin/sh', ['-c', 'sleep 30 # pm-mass-marker-2']);
    await up([nginx.pid, php.pid, other.pid, marked.pid, markedRoot.pid]);

    const deps = testDeps(kids.host());
    const policy = await loadMassFreezePolicyFile(compat);
    const out = await massFreezeClusterAction(deps, { cluster: 'website', policy }).run(ctxOf(incidentOf()));
    assert.equal(out.outcome, 'ok', out.summary);
    await waitUntil(() => stateOf(nginx.pid!) === 'T' && stateOf(php.pid!) === 'T', 5_000, 'nginx and php-fpm stopped');
    assert.notEqual(stateOf(other.pid!), 'T');

    const selectors = loadMassFreezePolicyText('cluster:\n  definitions:\n    marked:\n      cmdline_regex: "pm-mass-marker-\\\\d"\n      users: [nobody]\n');
    const out2 = await massFreezeClusterAction(deps, { cluster: 'marked', policy: selectors }).run(ctxOf(incidentOf()));
    assert.equal(out2.target, String(marked.pid), out2.summary);
    await waitUntil(() => stateOf(marked.pid!) === 'T', 5_000, 'the marked nobody process stopped');
    assert.notEqual(stateOf(markedRoot.pid!), 'T', "root's marked process is not user nobody");
  } finally {
    await kids.killAll();
  }
});

test('mass_freeze_top: the top K by CPU whatever the whitelist says, never sshd; none under min_cpu_to_freeze', { timeout: 30_000 }, async () => {
  const kids = ownChildren();
  try {
    const listed = kids.spawn(kids.binaryNamed('precious-job', '/bin/sh'), ['-c', 'while :; do :; done # pm-top-1']);
    const sshd = kids.spawn(kids.binaryNamed('sshd', '/bin/sh'), ['-c', 'while :; do :; done # pm-top-2']);
    const idle = kids.spawn('/bin/sleep', ['30']);
    await waitUntil(() => cpuTicksOf(listed.pid!) > 5 && cpuTicksOf(sshd.pid!) > 5, 10_000, 'burners burning');
    const deps = testDeps(kids.host());
    const policy = loadMassFreezePolicyText('top_cpu: { count: 3, min_cpu_to_freeze: 5 }\nwhitelist_processes: [precious]\n');
    const out = await massFreezeTopAction(deps, { policy }).run(ctxOf(incidentOf()));
    assert.equal(out.target, String(listed.pid), out.summary);
    await waitUntil(() => stateOf(listed.pid!) === 'T', 5_000, 'the whitelisted burner stopped anyway');
    assert.notEqual(stateOf(sshd.pid!), 'T');
    assert.notEqual(stateOf(idle.pid!), 'T');
    assert.ok(deps.lines.some((l) => l.includes(`spared pid ${sshd.pid} (sshd): sshd`)), deps.lines.join('\n'));
  } finally {
    await kids.killAll();
  }
});

test('mass_freeze with mode: cluster freezes every defined cluster once; mode: top_cpu acts as mass_freeze_top', { timeout: 30_000 }, async () => {
  const kids = ownChildren();
  try {
    const a = kids.spawn(kids.binaryNamed('alpha-svc'), ['30'], nobody);
    const b = kids.spawn(kids.binaryNamed('beta-svc'), ['30'], nobody);
    const c = kids.spawn(kids.binaryNamed('gamma-svc'), ['30'], nobody);
    await up([a.pid, b.pid, c.pid]);
    const deps = testDeps(kids.host());
    const policy = loadMassFreezePolicyText('mode: cluster\ncluster:\n  definitions:\n    one: [alpha, beta]\n    two: {name_regex: "^beta"}\n');
    const out = await massFreezeAction(deps, { policy }).run(ctxOf(incidentOf()));
    assert.equal(out.target, `${a.pid} ${b.pid}`, out.summary);
    await waitUntil(() => stateOf(a.pid!) === 'T' && stateOf(b.pid!) === 'T', 5_000, 'alpha and beta stopped');
    assert.notEqual(stateOf(c.pid!), 'T');

    const hog = kids.spawn('/bin/sh', ['-c', 'while :; do :; done # pm-top-mode']);
    await waitUntil(() => cpuTicksOf(hog.pid!) > 5, 10_000, 'hog burning');
    const top = massFreezeAction(deps, { policy: loadMassFreezePolicyText('mode: top_cpu\ntop_cpu: {count: 1, min_cpu_to_freeze: 5}\n') });
    assert.equal(top.name, 'mass_freeze');
    const out2 = await top.run(ctxOf(incidentOf()));
    assert.equal(out2.target, String(hog.pid), out2.summary);
  } finally {
    await kids.killAll();
  }
});

test('mass_freeze: max_processes_to_freeze bounds how many are stopped, and says so', { timeout: 30_000 }, async () => {
  const kids = ownChildren();
  try {
    const a = kids.spawn(kids.binaryNamed('worker-a'), ['30'], nobody);
    const b = kids.spawn(kids.binaryNamed('worker-b'), ['30'], nobody);
    await up([a.pid, b.pid]);
    const deps = testDeps(kids.host());
    const out = await massFreezeAction(deps, { policy: loadMassFreezePolicyText('max_processes_to_freeze: 1\n') }).run(ctxOf(incidentOf()));
    const [first, second] = [a.pid!, b.pid!].sort((x, y) => x - y);
    assert.equal(out.target, String(first), out.summary);
    assert.ok(deps.lines.some((l) => l.includes('mass_freeze: 2 processes selected, freezing the first 1 (max_processes_to_freeze)')), deps.lines.join('\n'));
    await waitUntil(() => stateOf(first!) === 'T', 5_000, 'the first stopped');
    assert.notEqual(stateOf(second!), 'T');
  } finally {
    await kids.killAll();
  }
});
