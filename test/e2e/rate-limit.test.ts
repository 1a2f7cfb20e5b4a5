/**
 * rate_limit end to end: the real agent, inside a network namespace the test makes,
 * follows a real log; failed passwords from a public address raise an incident whose
 * `rate_limit` action puts the address in the limit set of PanicMode's nft table (not
 * in the ban set); real TCP connects from that address inside the namespace are then
 * held to the rate, and the action run is recorded in action_runs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';
import Database from 'better-sqlite3';
import { createNetns, netnsUnavailable } from '../firewall/netns.js';
import { startAgent, storageYaml, waitFor, type AgentProcess } from './agent-process.js';

const failedPassword = (ip: string, n: number): string =>
  Array.from({ length: n }, (_, i) => `Nov 22 00:10:${String(10 + i).padStart(2, '0')} web-1 sshd[${4000 + i}]: Failed password for invalid user admin${i} from ${ip} port ${50000 + i} ssh2\n`).join('');

test('a running agent limits an offending source to its rate in the kernel, through the never-block list, and records the run', { timeout: 90_000 }, async (t) => {
  const why = netnsUnavailable();
  if (why) return t.skip(why);
  const dir = mkdtempSync(join(tmpdir(), 'pm-ratelimit-e2e-'));
  // The agent's namespace (the server, 203.0.113.1) and the attacker's (203.0.113.77),
  // joined by a veth pair: an address on the agent's own interfaces is never limited.
  const ns = createNetns();
  const attacker = createNetns();
  let agent: AgentProcess | undefined;
  t.after(async () => {
    await agent?.stop();
    ns.remove();
    attacker.remove();
    rmSync(dir, { recursive: true, force: true });
  });
  ns.exec('ip', ['link', 'add', 'pm0', 'type', 'veth', 'peer', 'name', 'pm1', 'netns', attacker.name]);
  ns.exec('ip', ['addr', 'add', '203.0.113.1/24', 'dev', 'pm0']);
  attacker.exec('ip', ['addr', 'add', '203.0.113.77/24', 'dev', 'pm1']);
  for (const [n, dev] of [[ns, 'pm0'], [attacker, 'pm1'], [ns, 'lo'], [attacker, 'lo']] as const) n.exec('ip', ['link', 'set', dev, 'up']);
  writeFileSync(join(dir, 'auth.log'), '');
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    `performance:
  check_interval: 1s
monitors:
  - name: ssh_slow_down
    type: auth_failures
    threshold: 3
    window: 60s
    paths: [${join(dir, 'auth.log')}]
    actions: [rate_limit, alert_critical]
actions:
  rate_limit: {type: firewall, rate: 5/s, duration: 10m}
anomaly:
  enabled: false
alerts:
  critical:
    - channel: console
${storageYaml(dir)}firewall:
  ctl_socket: ${join(dir, 'ctl.sock')}
  backend: nftables
  nft_table: pmtest
`,
  );
  agent = startAgent(config, { ...process.env, PANICMODE_STATE_DIR: dir }, ns.name);
  await waitFor(() => /following \S*auth\.log from/.test(agent!.output()), 20_000, 'the agent in the namespace', agent.output);
  assert.match(ns.exec('nft', ['list', 'chain', 'inet', 'pmtest', 'rate_limit']), /ip saddr @rl_5_second_v4 ct state new update @rl_5_second_m4 \{ ip saddr limit rate over 5\/second \} drop/);

  const limited = () => {
    try {
      return ns.exec('nft', ['list', 'set', 'inet', 'pmtest', 'rl_5_second_v4']);
    } catch {
      return '';
    }
  };
  // A server in the agent's namespace, a burst of real connects from the attacker's.
  const burst = fileURLToPath(new URL('../firewall/connect-burst.ts', import.meta.url));
  const server = spawn('ip', ['netns', 'exec', ns.name, process.execPath, '--import', 'tsx', burst, '--serve', '203.0.113.1', '8080'], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => void server.kill('SIGKILL'));
  await new Promise((resolve) => server.stdout!.once('data', resolve));
  const plan = { server: '203.0.113.1', port: 8080, timeoutMs: 800, sources: [{ address: '203.0.113.77', count: 30, spacingMs: 0 }] };
  const connectBurst = () => JSON.parse(attacker.exec(process.execPath, ['--import', 'tsx', burst, JSON.stringify(plan)]))['203.0.113.77'] as { ok: number; failed: number };
  assert.deepEqual(connectBurst(), { ok: 30, failed: 0 }, 'before the incident the whole burst connects');

  appendFileSync(join(dir, 'auth.log'), failedPassword('10.0.0.5', 6) + failedPassword('203.0.113.77', 6));
  await waitFor(() => limited().includes('203.0.113.77'), 15_000, 'the source in the limit set', agent.output);
  assert.match(limited(), /203\.0\.113\.77 timeout 10m/);
  assert.doesNotMatch(limited(), /10\.0\.0\.5/, 'a private address is never limited');
  assert.doesNotMatch(ns.exec('nft', ['list', 'set', 'inet', 'pmtest', 'banned_v4']), /203\.0\.113\.77/, 'limited, not banned');

  const r = connectBurst();
  assert.ok(r.ok >= 1 && r.ok <= 10 && r.failed >= 20, `a burst from the limited source is held to the bucket, got ${JSON.stringify(r)}`);

  await waitFor(() => /limited 1 IP to 5\/s new connections for 10m: 203\.0\.113\.77/.test(agent!.output()), 10_000, 'the alert naming the limit', agent.output);
  await agent.stop();
  agent = undefined;
  const db = new Database(join(dir, 'incidents.db'), { readonly: true });
  try {
    const runs = db.prepare("select action, target, outcome from action_runs where action = 'rate_limit' and target is not null").all();
    assert.deepEqual(runs, [{ action: 'rate_limit', target: '203.0.113.77', outcome: 'ok' }]);
  } finally {
    db.close();
  }
});
