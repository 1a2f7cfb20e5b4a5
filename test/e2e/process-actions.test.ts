/**
 * End to end: a running `panicmode run` whose mass_freeze.yaml is the compat policy file
 * copied unchanged beside its config freezes that policy's `website` cluster when a CPU
 * rule fires (`mass_freeze_cluster:website`), records the run in action_runs, lists the
 * frozen processes through `panicmode ctl frozen` and thaws them with `ctl thaw all` —
 * with the firewall disabled (the control socket serves frozen processes regardless) —
 * refuses a bad policy on SIGHUP while it keeps running, and takes a good one.
 *
 * Safety: the agent's proc root is a fixture holding a busy /proc/stat and, as symlinks
 * to the real /proc entries, ONLY this test's children (copies of sleep named nginx,
 * php-fpm and other): the agent cannot see, let alone freeze, any other process here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { busyProcTree, panicmode, startAgent, storageYaml, waitFor, type AgentProcess } from './agent-process.js';
import { ownChildren, stateOf } from '../actions/own-children.js';

const compat = '/work/shared/compat/panicmode/mass_freeze.yaml';

test('running agent: mass_freeze_cluster:website from the compat mass_freeze.yaml, ctl frozen / thaw with the firewall off', { timeout: 90_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pm-e2e-freeze-'));
  const proc = busyProcTree(dir, 95);
  const kids = ownChildren();
  let agent: AgentProcess | undefined;
  t.after(async () => {
    proc.stop();
    await agent?.stop();
    await kids.killAll();
    rmSync(dir, { recursive: true, force: true });
  });

  const nginx = kids.spawn(kids.binaryNamed('nginx'), ['60']);
  const php = kids.spawn(kids.binaryNamed('php-fpm'), ['60']);
  const other = kids.spawn(kids.binaryNamed('other'), ['60']);
  for (const c of [nginx, php, other]) symlinkSync(`/proc/${c.pid}`, join(proc.root, String(c.pid)));

  copyFileSync(compat, join(dir, 'mass_freeze.yaml'));
  assert.equal(readFileSync(join(dir, 'mass_freeze.yaml'), 'utf8'), readFileSync(compat, 'utf8'), 'the compat file, unchanged');
  const sock = join(dir, 'ctl.sock');
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    `performance:
  check_interval: 200ms
monitors:
  - name: website_cpu
    type: cpu_usage
    threshold: 80
    actions: [alert_critical, "mass_freeze_cluster:website"]
alerts:
  critical:
    - channel: console
${storageYaml(dir)}firewall:
  enabled: false
  ctl_socket: ${sock}
`,
  );
  agent = startAgent(config, { ...process.env, PANICMODE_PROC_ROOT: proc.root, PANICMODE_STATE_DIR: dir, PANICMODE_LOG_LEVEL: 'info' });
  const out = () => agent!.output();

  await waitFor(() => stateOf(nginx.pid!) === 'T' && stateOf(php.pid!) === 'T', 30_000, 'nginx and php-fpm frozen', out);
  assert.notEqual(stateOf(other.pid!), 'T', 'not in the website cluster');
  assert.match(out(), new RegExp(`froze 2 processes: ${nginx.pid} \\(nginx\\), ${php.pid} \\(php-fpm\\)`));

  const listed = panicmode('ctl', 'frozen', '--socket', sock);
  assert.match(listed, new RegExp(`^${nginx.pid}\\s+nginx\\s.*mass_freeze_cluster:website: website_cpu`, 'm'), listed);
  assert.match(listed, new RegExp(`^${php.pid}\\s+php-fpm\\s`, 'm'), listed);

  await waitFor(() => {
    const db = new Database(join(dir, 'incidents.db'), { readonly: true, fileMustExist: true });
    try {
      const rows = db.prepare("select action, outcome, target from action_runs where action = 'mass_freeze_cluster:website'").all() as { outcome: string; target: string }[];
      return rows.some((r) => r.outcome === 'ok' && r.target === `${nginx.pid} ${php.pid}`);
    } finally {
      db.close();
    }
  }, 10_000, 'the action run in action_runs', out);

  const thawed = panicmode('ctl', 'thaw', 'all', '--socket', sock);
  assert.match(thawed, new RegExp(`thawed ${nginx.pid} \\(nginx\\)`));
  assert.match(thawed, new RegExp(`thawed ${php.pid} \\(php-fpm\\)`));
  await waitFor(() => stateOf(nginx.pid!) === 'S' && stateOf(php.pid!) === 'S', 5_000, 'both running again', out);
  assert.match(panicmode('ctl', 'frozen', '--socket', sock), /no frozen processes/);

  // A bad policy on SIGHUP is refused; the agent keeps running on the one it has.
  writeFileSync(join(dir, 'mass_freeze.yaml'), 'mode: everything\n');
  agent.child.kill('SIGHUP');
  await waitFor(() => /reload rejected/.test(out()), 10_000, 'the rejected reload', out);
  assert.match(out(), /mode: expected one of all, top_cpu, cluster, got \\"everything\\"|mode: expected one of all, top_cpu, cluster, got "everything"/);
  assert.equal(agent.child.exitCode, null);

  // A good one is taken on SIGHUP: a new cluster, named by a new rule, freezes `other`.
  writeFileSync(join(dir, 'mass_freeze.yaml'), 'cluster:\n  definitions:\n    others: [other]\n');
  writeFileSync(config, readFileSync(config, 'utf8').replace('website_cpu', 'others_cpu').replace('mass_freeze_cluster:website', 'mass_freeze_cluster:others'));
  agent.child.kill('SIGHUP');
  await waitFor(() => /config reloaded/.test(out()), 10_000, 'the reload', out);
  await waitFor(() => stateOf(other.pid!) === 'T', 20_000, 'other frozen by the reloaded policy', out);
  assert.equal(await agent.stop(), 0);
  agent = undefined;
});
