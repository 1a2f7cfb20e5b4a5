/**
 * kill -9 during an SSH attack burst loses no attacker (issue 7 item 3). The real agent
 * (script backend, a temp auth log) reads a burst of 200 attackers × 6 failures mixed
 * with 50 addresses at exactly the threshold (5 failures); its process group is killed
 * with SIGKILL mid-burst, the rest of the burst is written while it is down, and it is
 * started again. Then every attacker is banned and no one else; a ban the database had
 * recorded at the kill is never applied again; one that was not is applied once after
 * the restart. (A block script that ran in the instant between the backend call and
 * the ban's record is run once more after the restart: the script contract makes it
 * idempotent.) `restore_on_startup: false`, so a restart's re-application of recorded
 * bans does not blur the count.
 *
 * Before the fix, the cursor was saved at the end of what had been read and dedup
 * records were kept for bans that never happened: attackers were lost.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { bin, storageYaml, waitFor } from './agent-process.js';

const ATTACKERS = 200;
const INNOCENTS = 50;
const attacker = (i: number) => `203.0.113.${i + 1}`; // 1..200
const innocent = (i: number) => `192.0.2.${i + 1}`;

const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** A syslog timestamp (local time) for now: the agent judges windows on it. */
const syslogNow = (): string => {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, '0');
  return `${months[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
};

/** The burst, in chunks: each attacker's 6 failures close together, innocents' 5 spread among them. */
const burstChunks = (chunks: number): string[][] => {
  const lines: string[] = [];
  let pid = 10_000;
  const fail = (ip: string) => `sshd[${pid++}]: Failed password for invalid user admin from ${ip} port ${40_000 + (pid % 20_000)} ssh2`;
  for (let i = 0; i < ATTACKERS; i++) {
    for (let k = 0; k < 6; k++) lines.push(fail(attacker(i)));
    if (i % 4 === 0) for (let k = 0; k < 5; k++) lines.push(fail(innocent(i / 4)));
    lines.push(`sshd[${pid++}]: Connection closed by 198.18.0.${i % 250} port 22 [preauth]`);
  }
  const per = Math.ceil(lines.length / chunks);
  return Array.from({ length: chunks }, (_, c) => lines.slice(c * per, (c + 1) * per));
};

const writeChunk = (log: string, chunk: string[]) => {
  const ts = syslogNow();
  appendFileSync(log, chunk.map((l) => `${ts} web-1 ${l}\n`).join(''));
};

interface Agent {
  child: ChildProcess;
  output(): string;
}

/** The agent in its own process group, so SIGKILL reaches it and any block script it runs. */
const spawnAgent = (config: string, env: NodeJS.ProcessEnv): Agent => {
  const child = spawn(process.execPath, [bin, 'run', '--config', config], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  return { child, output: () => out };
};

const killGroup = async (a: Agent, signal: NodeJS.Signals): Promise<void> => {
  if (a.child.exitCode !== null || a.child.signalCode !== null) return;
  const exited = new Promise((r) => a.child.once('exit', r));
  try {
    process.kill(-a.child.pid!, signal);
  } catch {
    return;
  }
  await exited;
};

const scenario = async (t: { after(fn: () => unknown): void }, killWhen: 'some bans done' | 'before any ban') => {
  const dir = mkdtempSync(join(tmpdir(), 'pm-ssh-kill9-'));
  let agent: Agent | undefined;
  t.after(async () => {
    if (agent) await killGroup(agent, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  const calls = join(dir, 'calls.log');
  for (const [name, verb] of [['block.sh', 'block'], ['unblock.sh', 'unblock']]) {
    writeFileSync(join(dir, name!), `#!/bin/sh\necho "${verb} $1" >> ${calls}\n`);
    chmodSync(join(dir, name!), 0o755);
  }
  const log = join(dir, 'auth.log');
  writeFileSync(log, `${syslogNow()} web-1 sshd[1]: Server listening on 0.0.0.0 port 22.\n`);
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    `performance:
  check_interval: 5s
monitors:
  - name: ssh_brute_force
    type: auth_failures
    threshold: 5
    window: 60s
    paths: [${log}]
    actions: [block_ip, alert_critical]
anomaly:
  enabled: false
alerts:
  critical:
    - channel: console
${storageYaml(dir)}firewall:
  backend: script
  block_script: ${join(dir, 'block.sh')}
  unblock_script: ${join(dir, 'unblock.sh')}
  restore_on_startup: false
  ctl_socket: ${join(dir, 'ctl.sock')}
`,
  );
  const env = { ...process.env, PANICMODE_STATE_DIR: dir, PANICMODE_BLOCK_IP_SCRIPT: '', PANICMODE_UNBLOCK_IP_SCRIPT: '' };
  const blocks = (): string[] =>
    existsSync(calls)
      ? readFileSync(calls, 'utf8')
          .split('\n')
          .filter((l) => l.startsWith('block '))
          .map((l) => l.slice(6))
      : [];

  agent = spawnAgent(config, env);
  await waitFor(() => /following \S*auth\.log from/.test(agent!.output()), 30_000, 'the agent to follow the log', agent.output);

  const chunks = burstChunks(20);
  let written = 0;
  if (killWhen === 'some bans done') {
    while (written < chunks.length && blocks().length < 30) {
      writeChunk(log, chunks[written++]!);
      await new Promise((r) => setTimeout(r, 40));
    }
    await waitFor(() => blocks().length >= 30, 20_000, '30 bans before the kill', agent.output);
  } else {
    // half the burst read, most attackers not yet over the threshold
    while (written < 8) writeChunk(log, chunks[written++]!);
    await new Promise((r) => setTimeout(r, 150));
  }
  await killGroup(agent, 'SIGKILL');

  const db = new Database(join(dir, 'incidents.db'), { readonly: true });
  const recordedAtKill = new Set(db.prepare('SELECT ip FROM blocked_ips WHERE active = 1').all().map((r) => (r as { ip: string }).ip));
  db.close();
  const beforeRestart = blocks();

  // the rest of the burst arrives while the agent is down
  while (written < chunks.length) writeChunk(log, chunks[written++]!);
  agent = spawnAgent(config, env);
  const all = Array.from({ length: ATTACKERS }, (_, i) => attacker(i));
  await waitFor(() => new Set(blocks()).size >= ATTACKERS, 40_000, `all ${ATTACKERS} attackers banned after the restart`, () => {
    const seen = new Set(blocks());
    return `missing: ${all.filter((ip) => !seen.has(ip)).slice(0, 10).join(' ')}\n${agent!.output().slice(-3000)}`;
  });
  // a moment for anything that would (wrongly) come after
  await new Promise((r) => setTimeout(r, 1500));
  await killGroup(agent, 'SIGTERM');

  const after = blocks().slice(beforeRestart.length);
  const count = (xs: string[]) => xs.reduce((m, ip) => m.set(ip, (m.get(ip) ?? 0) + 1), new Map<string, number>());
  const before = count(beforeRestart);
  const since = count(after);
  for (const ip of all) {
    if (recordedAtKill.has(ip)) {
      assert.equal(before.get(ip), 1, `${ip}: banned and recorded before the kill, once`);
      assert.equal(since.get(ip) ?? 0, 0, `${ip}: a recorded ban is not applied again after the restart`);
    } else {
      assert.ok((before.get(ip) ?? 0) <= 1, `${ip}: at most once before the kill`);
      assert.equal(since.get(ip), 1, `${ip}: not recorded at the kill, banned once after the restart`);
    }
  }
  const others = [...new Set(blocks())].filter((ip) => !all.includes(ip));
  assert.deepEqual(others, [], 'no one at or below the threshold is banned');
  return { recordedAtKill: recordedAtKill.size, invokedBeforeKill: beforeRestart.length };
};

test('kill -9 with some bans done: after a restart every attacker is banned exactly once, no one else', { timeout: 120_000 }, async (t) => {
  const r = await scenario(t, 'some bans done');
  t.diagnostic(`bans recorded at the kill: ${r.recordedAtKill}; block script runs before it: ${r.invokedBeforeKill}`);
});

test('kill -9 before any ban: after a restart every attacker is banned exactly once, no one else', { timeout: 120_000 }, async (t) => {
  const r = await scenario(t, 'before any ban');
  t.diagnostic(`bans recorded at the kill: ${r.recordedAtKill}; block script runs before it: ${r.invokedBeforeKill}`);
});
