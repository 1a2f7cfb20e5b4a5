/**
 * Supervision in a running agent, with real processes (issue 10): a service killed with
 * SIGKILL is started again; a service that keeps crashing goes into cooldown with one
 * critical alert, and an agent killed with SIGKILL and started again keeps that cooldown
 * (restart_state in SQLite) without alerting again, then retries once it is over; a
 * service over its limits (open files, children, threads, RSS, CPU) raises an incident
 * per limit. Every service the agents start is found by its PANICMODE_SERVICE marker and
 * its process group killed in teardown, whatever happened.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { storageYaml, waitFor } from '../e2e/agent-process.js';
import { killAgent, killServices, servicePids, spawnAgent, stateOf, type Agent } from './service-processes.js';

const tag = `${process.pid}-${Date.now() % 100_000}`;
const dirs: string[] = [];
const agents: Agent[] = [];
const services: string[] = [];

after(async () => {
  for (const a of agents) await killAgent(a, 'SIGKILL');
  killServices(services);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A temp dir of this test file, removed after it. */
const tempDir = (prefix: string): string => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
};

/** A supervised service of this test, killed after it, and a temp dir for its files. */
const service = (name: string, prefix: string): string => {
  services.push(name);
  return tempDir(prefix);
};

const setup = (name: string, processesYaml: string) => {
  const dir = tempDir('pm-supervision-');
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    `performance:
  check_interval: 300ms
${storageYaml(dir)}firewall:
  enabled: false
  ctl_socket: ${join(dir, 'ctl.sock')}
integrations:
  file:
    enabled: true
    path: ${join(dir, 'alerts.jsonl')}
alerts:
  critical: [{ channel: file }]
  warning: [{ channel: file }]
processes:
${processesYaml}`,
  );
  return { dir, config, db: join(dir, 'incidents.db'), alerts: join(dir, 'alerts.jsonl') };
};

const incidents = (db: string, like: string): { name: string; status: string; severity: string }[] => {
  if (!existsSync(db)) return [];
  const d = new Database(db, { readonly: true, fileMustExist: true });
  try {
    return d.prepare('select name, status, severity from incidents where name like ? order by id').all(like) as { name: string; status: string; severity: string }[];
  } catch {
    return []; // not migrated yet
  } finally {
    d.close();
  }
};

/** The pid the agent recorded for a service (restart_state), or null. */
const knownPid = (db: string, service: string): number | null => {
  if (!existsSync(db)) return null;
  const d = new Database(db, { readonly: true, fileMustExist: true });
  try {
    return (d.prepare('select pid from restart_state where service = ?').get(service) as { pid: number | null } | undefined)?.pid ?? null;
  } catch {
    return null; // not migrated yet
  } finally {
    d.close();
  }
};

const lines = (file: string): string[] => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0) : []);

test('a service killed with SIGKILL is started again by the running agent', async () => {
  const name = `sleeper-${tag}`;
  services.push(name);
  const t = setup(name, `  - name: ${name}
    start_command: "exec sleep 297"
    cmdline: "^sleep 297$"
    start_timeout: 2s
`);
  const agent = spawnAgent(t.config);
  agents.push(agent);
  await waitFor(() => servicePids([name]).length === 1, 60_000, 'the agent to start the service', agent.output);
  const first = servicePids([name])[0]!;
  process.kill(first, 'SIGKILL');
  await waitFor(() => servicePids([name]).some((p) => p !== first), 60_000, 'the service to be started again', agent.output);
  const second = servicePids([name]).find((p) => p !== first)!;
  assert.equal(stateOf(second), 'S');
  assert.equal(servicePids([name]).length, 1, 'one instance, not two');
  await waitFor(() => incidents(t.db, `${name} down`).length > 0, 10_000, 'the down incident', agent.output);
  // a reload (a new pipeline, state read back from SQLite) finds the same instance
  process.kill(agent.child.pid!, 'SIGHUP');
  await waitFor(() => agent.output().includes('config reloaded'), 60_000, 'the reload', agent.output);
  await new Promise((r) => setTimeout(r, 1500)); // a few checks of the new pipeline
  assert.deepEqual(servicePids([name]), [second], 'the same instance after the reload, and no second one');
  await killAgent(agent, 'SIGTERM');
  // the service outlives the agent
  assert.equal(stateOf(second), 'S');
});

test('a systemd unit: started and, after a crash, restarted through `systemctl restart <unit>`', async () => {
  // systemd does not run here: a stand-in systemctl on the agent's PATH does what
  // `systemctl restart` does for a simple unit — stops the old main process, starts a new
  // one, writes its pid — and writes down every call
  const name = `unit-${tag}`;
  const dir = service(name, 'pm-unit-');
  const calls = join(dir, 'calls');
  const pidfile = join(dir, 'main.pid');
  writeFileSync(
    join(dir, 'systemctl'),
    `#!/bin/sh
echo "$@" >> ${calls}
[ "$1" = restart ] || exit 0
[ -f ${pidfile} ] && kill "$(cat ${pidfile})" 2>/dev/null
PANICMODE_SERVICE=${name} setsid sleep 296 </dev/null >/dev/null 2>&1 &
echo $! > ${pidfile}
`,
    { mode: 0o755 },
  );
  const t = setup(name, `  - name: ${name}
    systemd_unit: ${name}.service
    pidfile: ${pidfile}
    start_timeout: 2s
`);
  const agent = spawnAgent(t.config, { PATH: `${dir}:${process.env.PATH}` });
  agents.push(agent);
  await waitFor(() => servicePids([name]).length === 1, 60_000, 'the agent to start the unit', agent.output);
  const first = servicePids([name])[0]!;
  // the agent has found it by its pidfile (and recorded it) before it crashes: one that dies
  // unseen during its start_timeout is started again without a `down`
  await waitFor(() => knownPid(t.db, name) === first, 30_000, 'the agent to find the unit by its pidfile', agent.output);
  process.kill(first, 'SIGKILL');
  await waitFor(() => servicePids([name]).some((p) => p !== first), 60_000, 'the unit to be restarted', agent.output);
  assert.deepEqual(lines(calls), [`restart ${name}.service`, `restart ${name}.service`], 'systemctl restart, once to start, once after the crash');
  assert.equal(servicePids([name]).length, 1, 'one instance');
  await waitFor(() => incidents(t.db, `${name} down`).length > 0, 10_000, 'the down incident', agent.output);
  await killAgent(agent, 'SIGTERM');
});

test('crash loop → cooldown with one critical alert; an agent killed -9 and started again keeps the cooldown, then retries', async () => {
  const name = `crasher-${tag}`;
  const dir = service(name, 'pm-crasher-');
  const starts = join(dir, 'starts');
  const t = setup(name, `  - name: ${name}
    start_command: "echo x >> ${starts}; sleep 0.2; exit 3"
    max_restarts: 3
    restart_window: 1m
    cooldown: 40s
    start_timeout: 0s
`);
  const count = () => lines(starts).length;
  const first = spawnAgent(t.config);
  agents.push(first);
  await waitFor(() => incidents(t.db, `${name} crash loop`).length > 0, 60_000, 'the crash loop', first.output);
  const loopAt = Date.now();
  assert.equal(count(), 3, 'three restarts, the fourth refused');
  await killAgent(first, 'SIGKILL');

  const second = spawnAgent(t.config);
  agents.push(second);
  await waitFor(() => second.output().includes('watching'), 60_000, 'the second agent to start', second.output);
  // at least a few checks of the second agent inside the cooldown: nothing is started
  await new Promise((r) => setTimeout(r, 2000));
  assert.ok(Date.now() - loopAt < 40_000, 'the check above ran inside the cooldown (machine too slow for this test)');
  assert.equal(count(), 3, 'no start during the cooldown after the agent restart');
  // after the cooldown: tried again, with a fresh count
  await waitFor(() => count() > 3, 120_000, 'a retry after the cooldown', second.output);
  assert.match(second.output(), /cooldown over/);
  const loops = incidents(t.db, `${name} crash loop`).filter((i) => i.status === 'firing');
  assert.equal(loops.length, 1, 'one crash-loop incident across both agents');
  assert.equal(loops[0]!.severity, 'critical');
  const critical = lines(t.alerts).filter((l) => l.includes(`${name} crash loop`));
  assert.equal(critical.length, 1, `one crash-loop alert:\n${critical.join('\n')}`);
  await killAgent(second, 'SIGTERM');
});

test('a service over its limits raises one incident per limit (open files, children, threads, RSS, CPU)', async () => {
  const name = `hog-${tag}`;
  const dir = service(name, 'pm-hog-');
  const script = join(dir, 'hog.cjs');
  writeFileSync(
    script,
    `const fs = require('fs'), cp = require('child_process');
for (let i = 0; i < 60; i++) fs.openSync('/dev/null', 'r');
for (let i = 0; i < 3; i++) cp.spawn('sleep', ['120'], { stdio: 'ignore' });
const held = Buffer.alloc(96 * 1024 * 1024, 1);
setTimeout(() => { const end = Date.now() + 60000; while (Date.now() < end) held[0]++; }, 500);
setTimeout(() => process.exit(0), 150000);
`,
  );
  const t = setup(name, `  - name: ${name}
    start_command: "exec ${process.execPath} ${script}"
    cmdline: "hog\\\\.cjs"
    limits:
      open_files: 40
      children: 2
      threads: 3
      memory_mb: 80
      cpu_percent: 50
      cpu_duration: 1s
    actions: [alert_warning]
`);
  const agent = spawnAgent(t.config);
  agents.push(agent);
  const want = ['open_files', 'children', 'threads', 'memory_mb', 'cpu_percent'].map((l) => `${name} ${l}`);
  await waitFor(() => want.every((w) => incidents(t.db, w).length > 0), 120_000, `incidents for ${want.join(', ')}`, agent.output);
  for (const w of want) assert.equal(incidents(t.db, w)[0]!.status, 'firing');
  await killAgent(agent, 'SIGTERM');
});

test('restart_process on a limit: a service over memory_mb is restarted, until its budget puts it in cooldown', async () => {
  const name = `grower-${tag}`;
  const dir = service(name, 'pm-grower-');
  const script = join(dir, 'grower.cjs');
  const starts = join(dir, 'starts');
  // holds 1 MB more every 50 ms: past 80 MB within seconds of each start; bounded at 2 min
  writeFileSync(
    script,
    `require('fs').appendFileSync(${JSON.stringify(starts)}, process.pid + '\\n');
const held = [];
setInterval(() => held.push(Buffer.alloc(1024 * 1024, 1)), 50);
setTimeout(() => process.exit(0), 120000);
`,
  );
  const t = setup(name, `  - name: ${name}
    start_command: "exec ${process.execPath} ${script}"
    cmdline: "grower\\\\.cjs"
    max_restarts: 3
    restart_window: 5m
    cooldown: 5m
    stop_timeout: 2s
    limits: { memory_mb: 80 }
    actions: [alert_warning, restart_process]
`);
  const agent = spawnAgent(t.config);
  agents.push(agent);
  const startPids = () => lines(starts).map(Number);
  await waitFor(() => incidents(t.db, `${name} crash loop`).length > 0, 120_000, 'restarts until the crash loop', agent.output);
  // the first start and two restarts by restart_process (3 starts: the budget), the next refused
  assert.equal(startPids().length, 3, `starts: ${startPids().join(', ')}`);
  const [p1, p2] = startPids();
  assert.equal(stateOf(p1!), null, 'the first instance was stopped');
  assert.equal(stateOf(p2!), null, 'the second instance was stopped');
  assert.ok(incidents(t.db, `${name} memory_mb`).some((i) => i.status === 'firing'));
  await killAgent(agent, 'SIGTERM');
});
