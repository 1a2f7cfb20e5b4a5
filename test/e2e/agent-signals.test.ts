/**
 * The agent's process lifecycle under signals (issue 7, items 2 and 12), with the real
 * agent as a child process in its own process group following a real auth log:
 *  - 20 SIGHUPs 5 ms apart leave ONE pipeline: one descriptor on the log, and one attack
 *    gives one block call, one incident and one alert; SIGTERM then stops it in budget;
 *  - SIGHUPs during start-up do not kill it (and are applied once it is up); a SIGTERM
 *    during start-up stops it cleanly;
 *  - a SIGTERM during the reloads of a SIGHUP storm stops it within its 10 s budget;
 *  - with an alert channel that hangs, a second SIGTERM exits at once, and a SIGTERM
 *    during a reload (stuck draining that channel) still stops within the budget.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { storageYaml, waitFor } from './agent-process.js';
import { spawnAgentGroup, type GroupAgent } from './agent-group.js';
import { startHttpReceiver, type HttpReceiver } from '../alerts/helpers/http-receiver.js';

const BUDGET_MS = 10_000;

const failedPassword = (ip: string, n: number): string =>
  Array.from({ length: n }, (_, i) => `Nov 22 00:10:${String(10 + i).padStart(2, '0')} web-1 sshd[${4000 + i}]: Failed password for invalid user admin${i} from ${ip} port ${50000 + i} ssh2\n`).join('');

/** A state dir with an auth log, block/unblock scripts that record their calls, and a config alerting to `hookUrl`. */
const setUp = (t: TestContext, hookUrl: string, hookTimeout = '5s') => {
  const dir = mkdtempSync(join(tmpdir(), 'pm-signals-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const calls = join(dir, 'calls.log');
  for (const [name, verb] of [['block.sh', 'block'], ['unblock.sh', 'unblock']]) {
    writeFileSync(join(dir, name!), `#!/bin/sh\necho "${verb} $1" >> ${calls}\n`);
    chmodSync(join(dir, name!), 0o755);
  }
  const authLog = join(dir, 'auth.log');
  writeFileSync(authLog, 'Nov 22 00:00:00 web-1 sshd[1]: Server listening on 0.0.0.0 port 22.\n');
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    `performance:
  check_interval: 1s
monitors:
  - name: ssh_brute_force
    type: auth_failures
    threshold: 3
    window: 60s
    paths: [${authLog}]
    actions: [block_ip, alert_critical]
anomaly:
  enabled: false
alerts:
  critical:
    - channel: webhook
      webhook_url: ${hookUrl}
      retries: 0
      timeout: ${hookTimeout}
integrations:
  webhook:
    enabled: true
${storageYaml(dir)}firewall:
  ctl_socket: ${join(dir, 'ctl.sock')}
  backend: script
  block_script: ${join(dir, 'block.sh')}
  unblock_script: ${join(dir, 'unblock.sh')}
`,
  );
  const env = { ...process.env, PANICMODE_STATE_DIR: dir, PANICMODE_LOG_LEVEL: 'info', PANICMODE_BLOCK_IP_SCRIPT: '', PANICMODE_UNBLOCK_IP_SCRIPT: '' };
  const blockCalls = () => (existsSync(calls) ? readFileSync(calls, 'utf8').split('\n').filter((l) => l.startsWith('block')) : []);
  return { dir, authLog, config, env, blockCalls, db: join(dir, 'incidents.db') };
};

/** Descriptors the process holds on `path`. */
const descriptorsOn = (pid: number, path: string): number =>
  readdirSync(`/proc/${pid}/fd`).filter((fd) => {
    try {
      return readlinkSync(`/proc/${pid}/fd/${fd}`) === path;
    } catch {
      return false;
    }
  }).length;

/** Whether the process has a handler for SIGHUP (bit 0 of SigCgt). */
const catchesSighup = (pid: number): boolean => {
  try {
    const m = /^SigCgt:\s*([0-9a-f]+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m !== null && (BigInt('0x' + m[1]) & 1n) === 1n;
  } catch {
    return false;
  }
};

const count = (text: string, re: RegExp): number => text.split('\n').filter((l) => re.test(l)).length;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const following = (a: GroupAgent) => () => /following \S*auth\.log from/.test(a.output());

const stopInBudget = async (a: GroupAgent): Promise<number | null> => {
  const sent = Date.now();
  process.kill(a.pid, 'SIGTERM');
  const { code, at } = await Promise.race([a.exited, sleep(BUDGET_MS + 5_000).then(() => ({ code: -1, at: Infinity }))]);
  assert.ok(at - sent <= BUDGET_MS + 1_500, `SIGTERM stopped the agent in ${at - sent} ms (budget ${BUDGET_MS} ms)\n${a.output()}`);
  return code;
};

test('20 SIGHUPs 5 ms apart leave one pipeline: one descriptor on the log; one attack → 1 block, 1 incident, 1 alert; SIGTERM in budget', { timeout: 90_000 }, async (t) => {
  const receiver = await startHttpReceiver();
  t.after(() => receiver.close());
  const s = setUp(t, `${receiver.url}/hook`);
  const agent = spawnAgentGroup(t, s.config, s.env);
  await waitFor(following(agent), 30_000, 'the agent to follow the log', agent.output);

  for (let i = 0; i < 20; i++) {
    process.kill(agent.pid, 'SIGHUP');
    await sleep(5);
  }
  // Reloads settle: every one begun has ended, and nothing more for a second.
  let seen = -1;
  await waitFor(
    () => {
      const begun = count(agent.output(), /SIGHUP: reloading config/);
      const ended = count(agent.output(), /config reloaded|reload rejected/);
      const now = begun + ended;
      const quiet = begun > 0 && begun === ended && now === seen;
      seen = now;
      return quiet;
    },
    40_000,
    'the reloads to settle',
    agent.output,
  );
  assert.ok(agent.alive(), agent.output());
  const reloads = count(agent.output(), /config reloaded/);
  assert.ok(reloads >= 1 && reloads <= 10, `20 SIGHUPs coalesced into ${reloads} reloads`);
  await waitFor(() => descriptorsOn(agent.pid, s.authLog) >= 1, 10_000, 'the log reopened', agent.output);
  assert.equal(descriptorsOn(agent.pid, s.authLog), 1, 'one descriptor on the auth log');

  appendFileSync(s.authLog, failedPassword('203.0.113.9', 6));
  await waitFor(() => s.blockCalls().length > 0 && receiver.requests.length > 0, 15_000, 'the block and the alert', agent.output);
  await sleep(1_500); // any duplicate pipeline would have acted by now
  assert.deepEqual(s.blockCalls(), ['block 203.0.113.9']);
  assert.equal(receiver.requests.length, 1, 'one alert');
  const db = new BetterSqlite3(s.db, { readonly: true });
  const incidents = db.prepare("SELECT count(*) AS n FROM incidents WHERE name = 'ssh_brute_force'").get() as { n: number };
  db.close();
  assert.equal(incidents.n, 1, 'one incident');

  assert.equal(await stopInBudget(agent), 0);
});

test('SIGHUPs during start-up neither kill the agent nor get lost: applied once it is up', { timeout: 90_000 }, async (t) => {
  const receiver = await startHttpReceiver();
  t.after(() => receiver.close());
  const s = setUp(t, `${receiver.url}/hook`);
  const agent = spawnAgentGroup(t, s.config, s.env);
  // As soon as the process catches SIGHUP at all, start-up must still be in progress.
  await waitFor(() => catchesSighup(agent.pid) || !agent.alive(), 30_000, 'a SIGHUP handler', agent.output);
  assert.doesNotMatch(agent.output(), /watching/, 'SIGHUP is handled before start-up is done');
  process.kill(agent.pid, 'SIGHUP');
  // ... and when run has begun (config read, database not yet open).
  await waitFor(() => /starting with/.test(agent.output()) || !agent.alive(), 30_000, 'run to begin', agent.output);
  process.kill(agent.pid, 'SIGHUP');
  process.kill(agent.pid, 'SIGHUP');
  await waitFor(() => following(agent)() || !agent.alive(), 30_000, 'the agent to start', agent.output);
  assert.ok(agent.alive(), `the agent died of a SIGHUP during start-up:\n${agent.output()}`);
  await waitFor(() => /config reloaded/.test(agent.output()), 20_000, 'the SIGHUP applied after start-up', agent.output);
  await sleep(500);
  // Coalesced: those before start-up was done into one reload; on a fast start-up the
  // later two may land during that reload instead, and make exactly one more.
  const reloads = count(agent.output(), /config reloaded/);
  assert.ok(reloads >= 1 && reloads <= 2, `the start-up SIGHUPs made ${reloads} reloads`);
  await waitFor(() => descriptorsOn(agent.pid, s.authLog) === 1, 10_000, 'one descriptor on the log', agent.output);
  assert.equal(await stopInBudget(agent), 0);
});

test('a SIGTERM during start-up stops the agent cleanly (exit 0) within its budget', { timeout: 60_000 }, async (t) => {
  const receiver = await startHttpReceiver();
  t.after(() => receiver.close());
  const s = setUp(t, `${receiver.url}/hook`);
  const agent = spawnAgentGroup(t, s.config, s.env);
  await waitFor(() => /starting with/.test(agent.output()) || !agent.alive(), 30_000, 'run to begin', agent.output);
  assert.equal(await stopInBudget(agent), 0, agent.output());
});

/** An agent whose alert is stuck in a channel that never answers. */
const stuckAlert = async (t: TestContext): Promise<{ agent: GroupAgent; receiver: HttpReceiver }> => {
  const receiver = await startHttpReceiver({ hang: true });
  t.after(() => receiver.close());
  const s = setUp(t, `${receiver.url}/hook`, '60s');
  const agent = spawnAgentGroup(t, s.config, s.env);
  await waitFor(following(agent), 30_000, 'the agent to follow the log', agent.output);
  appendFileSync(s.authLog, failedPassword('203.0.113.9', 6));
  await receiver.waitFor(1, 15_000);
  return { agent, receiver };
};

test('with an alert stuck in a hanging channel, a second SIGTERM exits at once', { timeout: 60_000 }, async (t) => {
  const { agent } = await stuckAlert(t);
  process.kill(agent.pid, 'SIGTERM');
  await waitFor(() => /shutting down/.test(agent.output()), 5_000, 'the graceful stop to begin', agent.output);
  await sleep(300);
  assert.ok(agent.alive(), 'still draining the stuck alert');
  const sent = Date.now();
  process.kill(agent.pid, 'SIGTERM');
  const { code, at } = await Promise.race([agent.exited, sleep(8_000).then(() => ({ code: -1, at: Infinity }))]);
  assert.ok(at - sent < 2_000, `exited ${at - sent} ms after the second SIGTERM\n${agent.output()}`);
  assert.notEqual(code, 0);
});

test('a SIGTERM during a reload (stuck draining a hanging channel) stops the agent within its budget', { timeout: 60_000 }, async (t) => {
  const { agent } = await stuckAlert(t);
  process.kill(agent.pid, 'SIGHUP');
  await waitFor(() => /SIGHUP: reloading config/.test(agent.output()), 5_000, 'the reload to begin', agent.output);
  await sleep(300);
  await stopInBudget(agent);
});

test('a SIGTERM right after a SIGHUP storm (reloads in progress) stops the agent, in budget, with nothing left running', { timeout: 60_000 }, async (t) => {
  const receiver = await startHttpReceiver();
  t.after(() => receiver.close());
  const s = setUp(t, `${receiver.url}/hook`);
  const agent = spawnAgentGroup(t, s.config, s.env);
  await waitFor(following(agent), 30_000, 'the agent to follow the log', agent.output);
  for (let i = 0; i < 20; i++) {
    process.kill(agent.pid, 'SIGHUP');
    await sleep(5);
  }
  assert.equal(await stopInBudget(agent), 0);
});
