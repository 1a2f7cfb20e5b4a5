/**
 * Intrusion defence end to end, with the real agent as a child process following a
 * real log file: failed-password lines from a public address get it blocked (script
 * backend, then built-in nftables inside a network namespace the test makes), the same
 * from 10.0.0.5 or a whitelisted address does not, `ctl list` shows the ban, a restart
 * restores it, and `ctl unblock` lifts it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNetns, netnsUnavailable } from '../firewall/netns.js';
import { panicmode, startAgent, storageYaml, waitFor, type AgentProcess as Agent } from './agent-process.js';

const failedPassword = (ip: string, n: number): string =>
  Array.from(
    { length: n },
    (_, i) => `Nov 22 00:10:${String(10 + i).padStart(2, '0')} web-1 sshd[${4000 + i}]: Failed password for invalid user admin${i} from ${ip} port ${50000 + i} ssh2\n`,
  ).join('');

const ctl = (socket: string, ...args: string[]): string => panicmode('ctl', ...args, '--socket', socket);

const configText = (dir: string, firewall: string) => `performance:
  check_interval: 1s
monitors:
  - name: ssh_brute_force
    type: auth_failures
    threshold: 3
    window: 60s
    paths: [${join(dir, 'auth.log')}]
    actions: [block_ip, alert_critical]
anomaly:
  enabled: false
alerts:
  critical:
    - channel: console
${storageYaml(dir)}firewall:
  ctl_socket: ${join(dir, 'ctl.sock')}
  whitelist: ["198.51.100.0/24"]
${firewall}`;

test('script backend: a public attacker is blocked once, private and whitelisted ones never; ctl list, restart restore, unblock', { timeout: 90_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pm-ssh-e2e-'));
  let agent: Agent | undefined;
  t.after(async () => {
    await agent?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const calls = join(dir, 'calls.log');
  for (const [name, verb] of [['block.sh', 'block'], ['unblock.sh', 'unblock']]) {
    writeFileSync(join(dir, name!), `#!/bin/sh\necho "${verb} $1" >> ${calls}\n`);
    chmodSync(join(dir, name!), 0o755);
  }
  writeFileSync(join(dir, 'auth.log'), 'Nov 22 00:00:00 web-1 sshd[1]: Server listening on 0.0.0.0 port 22.\n');
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    configText(dir, `  backend: script\n  block_script: ${join(dir, 'block.sh')}\n  unblock_script: ${join(dir, 'unblock.sh')}\n`),
  );
  const env = { ...process.env, PANICMODE_STATE_DIR: dir, PANICMODE_BLOCK_IP_SCRIPT: '', PANICMODE_UNBLOCK_IP_SCRIPT: '' };
  const socket = join(dir, 'ctl.sock');
  const calledWith = () => (existsSync(calls) ? readFileSync(calls, 'utf8') : '');

  agent = startAgent(config, env);
  await waitFor(() => /following \S*auth\.log from/.test(agent!.output()) && existsSync(socket), 20_000, 'the agent to follow the log', agent.output);

  appendFileSync(join(dir, 'auth.log'), failedPassword('10.0.0.5', 6) + failedPassword('198.51.100.7', 6) + failedPassword('203.0.113.9', 6));
  await waitFor(() => calledWith().includes('block 203.0.113.9'), 10_000, 'the block script for 203.0.113.9', agent.output);
  await waitFor(() => /not blocking 10\.0\.0\.5/.test(agent!.output()) && /not blocking 198\.51\.100\.7/.test(agent!.output()), 5_000, 'the skip log lines', agent.output);
  // More failures from an address already banned do not run the script again.
  appendFileSync(join(dir, 'auth.log'), failedPassword('203.0.113.9', 6));
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(calledWith().trim().split('\n').filter((l) => l.startsWith('block')).join('|'), 'block 203.0.113.9');
  assert.match(agent.output(), /CRITICAL.*ssh_brute_force/);

  const { bans } = JSON.parse(ctl(socket, 'list', '--json')) as { bans: { ip: string; reason: string; expires_at: number | null }[] };
  assert.deepEqual(bans.map((b) => b.ip), ['203.0.113.9']);
  assert.equal(bans[0]!.reason, 'ssh_brute_force');
  assert.ok(bans[0]!.expires_at! > Date.now() + 50 * 60_000, 'the default ban lasts about an hour');

  // A restart re-applies the live ban (the script contract: scripts are idempotent).
  assert.equal(await agent.stop(), 0);
  writeFileSync(calls, '');
  agent = startAgent(config, env);
  await waitFor(() => calledWith().includes('block 203.0.113.9'), 20_000, 'the ban restored after restart', agent.output);
  await waitFor(() => existsSync(socket), 10_000, 'the control socket after restart', agent.output);
  assert.match(ctl(socket, 'list'), /203\.0\.113\.9/);

  const unblocked = ctl(socket, 'unblock', '203.0.113.9');
  assert.match(unblocked, /203\.0\.113\.9/);
  assert.match(calledWith(), /unblock 203\.0\.113\.9/);
  assert.deepEqual(JSON.parse(ctl(socket, 'list', '--json')).bans, []);
});

test('nftables backend inside a network namespace: the ban is in the kernel set, unblock removes it', { timeout: 90_000 }, async (t) => {
  const why = netnsUnavailable();
  if (why) return t.skip(why);
  const dir = mkdtempSync(join(tmpdir(), 'pm-nft-e2e-'));
  const ns = createNetns();
  let agent: Agent | undefined;
  t.after(async () => {
    await agent?.stop();
    ns.remove();
    rmSync(dir, { recursive: true, force: true });
  });
  writeFileSync(join(dir, 'auth.log'), '');
  const config = join(dir, 'config.yaml');
  writeFileSync(config, configText(dir, '  backend: nftables\n  nft_table: pmtest\n'));
  const socket = join(dir, 'ctl.sock');
  agent = startAgent(config, { ...process.env, PANICMODE_STATE_DIR: dir }, ns.name);
  await waitFor(() => /following \S*auth\.log from/.test(agent!.output()) && existsSync(socket), 20_000, 'the agent in the namespace', agent.output);

  const inKernel = () => {
    try {
      return ns.exec('nft', ['list', 'set', 'inet', 'pmtest', 'banned_v4']);
    } catch {
      return '';
    }
  };
  appendFileSync(join(dir, 'auth.log'), failedPassword('10.0.0.5', 6) + failedPassword('203.0.113.77', 6));
  await waitFor(() => inKernel().includes('203.0.113.77'), 10_000, 'the element in the kernel set', agent.output);
  assert.match(inKernel(), /203\.0\.113\.77 timeout/);
  assert.doesNotMatch(inKernel(), /10\.0\.0\.5/);
  assert.match(ns.exec('nft', ['list', 'chain', 'inet', 'pmtest', 'input']), /ip saddr @banned_v4 drop/);

  ctl(socket, 'unblock', '203.0.113.77');
  assert.doesNotMatch(inKernel(), /203\.0\.113\.77/);
});
