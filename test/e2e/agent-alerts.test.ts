/**
 * Alerting end to end through the real agent: an incident reaches a webhook receiver
 * (HMAC-signed with a secret from the environment) and a JSON-lines file while another
 * channel refuses connections; the down channel delays nobody, the secret never appears
 * in the agent's output or in `config show`, and a recovery message follows when the
 * condition clears.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { busyProcTree, panicmode, startAgent, storageYaml, waitFor, type AgentProcess } from './agent-process.js';
import { closedPort, startHttpReceiver } from '../alerts/helpers/http-receiver.js';

test('an incident is delivered to every working channel, signed, with the secret never printed', { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pm-alerts-e2e-'));
  const receiver = await startHttpReceiver();
  const down = await closedPort();
  const proc = busyProcTree(dir, 97);
  let agent: AgentProcess | undefined;
  t.after(async () => {
    proc.stop();
    await agent?.stop();
    await receiver.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const secret = 'hmac-s3cret-value-from-env';
  const alertsFile = join(dir, 'alerts.jsonl');
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    `performance:
  check_interval: 200ms
monitors:
  - name: e2e_cpu
    type: cpu_usage
    threshold: 90
    actions: [alert_critical]
anomaly:
  enabled: false
alerts:
  critical:
    - channel: webhook
      webhook_url: http://127.0.0.1:${down}/hook
      retries: 1
      timeout: 2s
    - channel: webhook
      webhook_url: ${receiver.url}/hook
      hmac_secret: "\${env:PM_E2E_HMAC}"
    - channel: file
integrations:
  webhook:
    enabled: true
  file:
    enabled: true
    path: ${alertsFile}
${storageYaml(dir)}firewall:
  ctl_socket: ${join(dir, 'ctl.sock')}
`,
  );
  const env = { ...process.env, PANICMODE_PROC_ROOT: proc.root, PANICMODE_STATE_DIR: dir, PM_E2E_HMAC: secret };
  agent = startAgent(config, env);

  await waitFor(() => receiver.requests.length > 0, 20_000, 'the webhook delivery', agent.output);
  const req = receiver.requests[0]!;
  assert.equal(req.method, 'POST');
  assert.equal(req.path, '/hook');
  const body = JSON.parse(req.body) as { severity: string; status: string; incident: { name: string; monitor_type: string; threshold: number }; host: string };
  assert.equal(body.severity, 'critical');
  assert.equal(body.status, 'firing');
  assert.equal(body.incident.name, 'e2e_cpu');
  assert.equal(body.incident.monitor_type, 'cpu_usage');
  assert.equal(body.incident.threshold, 90);
  const expected = 'sha256=' + createHmac('sha256', secret).update(req.body).digest('hex');
  assert.equal(req.headers['x-panicmode-signature'], expected);

  await waitFor(() => existsSync(alertsFile) && readFileSync(alertsFile, 'utf8').includes('e2e_cpu'), 5_000, 'the file channel line', agent.output);
  const line = JSON.parse(readFileSync(alertsFile, 'utf8').trim().split('\n')[0]!) as { severity: string };
  assert.equal(line.severity, 'critical');

  // The machine calms down: one recovery message.
  proc.stop();
  const calm = busyProcTree(dir, 5);
  t.after(() => calm.stop());
  await waitFor(() => receiver.requests.some((r) => JSON.parse(r.body).status === 'resolved'), 20_000, 'the recovery message', agent.output);

  assert.equal(await agent.stop(), 0);
  assert.ok(!agent.output().includes(secret), 'the secret never appears in the agent output');
  process.env.PM_E2E_HMAC = secret;
  t.after(() => delete process.env.PM_E2E_HMAC);
  const shown = panicmode('config', 'show', '--config', config);
  assert.ok(!shown.includes(secret), 'config show redacts the secret');
  assert.match(shown, /hmac_secret: .*\*\*\*/);
});

test('an alert the channel has not taken survives kill -9 of the agent and is delivered after restart', { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pm-alerts-kill9-'));
  const receiver = await startHttpReceiver({ status: 503, body: 'down for maintenance' });
  const proc = busyProcTree(dir, 97);
  let agent: AgentProcess | undefined;
  t.after(async () => {
    proc.stop();
    await agent?.stop();
    await receiver.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    `performance:
  check_interval: 200ms
monitors:
  - name: kill9_cpu
    type: cpu_usage
    threshold: 90
    actions: [alert_critical]
anomaly:
  enabled: false
alerts:
  critical:
    - channel: webhook
      webhook_url: ${receiver.url}/hook
      retries: 50
      timeout: 2s
${storageYaml(dir)}firewall:
  ctl_socket: ${join(dir, 'ctl.sock')}
`,
  );
  const env = { ...process.env, PANICMODE_PROC_ROOT: proc.root, PANICMODE_STATE_DIR: dir };
  agent = startAgent(config, env);
  // The channel refuses the alert: it stays in the outbox, retried with backoff.
  await waitFor(() => receiver.requests.length >= 1, 20_000, 'the first (refused) attempt', agent.output);
  agent.child.kill('SIGKILL');
  await agent.stop();
  const refused = receiver.requests.length;

  receiver.reply({ status: 200, body: 'ok' });
  proc.stop(); // the machine is calm now: only the queued alert can arrive, not a new one
  const calm = busyProcTree(dir, 5);
  t.after(() => calm.stop());
  agent = startAgent(config, env);
  await waitFor(() => receiver.requests.length > refused, 20_000, 'the queued alert after restart', agent.output);
  const delivered = JSON.parse(receiver.requests.at(-1)!.body) as { incident: { name: string }; status: string };
  assert.equal(delivered.incident.name, 'kill9_cpu');
  assert.equal(delivered.status, 'firing');
  const firstId = JSON.parse(receiver.requests[0]!.body).id as string;
  assert.match(firstId, /\S{8,}/);
  assert.equal(JSON.parse(receiver.requests.at(-1)!.body).id, firstId, 'the same alert, not a new one');
});

test('a secret read from a file is read again when its cache expires, and a changed value is swapped in', { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pm-secret-rotate-'));
  let agent: AgentProcess | undefined;
  t.after(async () => {
    await agent?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const secretFile = join(dir, 'hmac');
  writeFileSync(secretFile, 'first-secret-value\n');
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    `alerts:
  critical:
    - channel: webhook
      webhook_url: http://127.0.0.1:9/hook
      hmac_secret: "\${file:${secretFile}}"
anomaly:
  enabled: false
${storageYaml(dir)}firewall:
  ctl_socket: ${join(dir, 'ctl.sock')}
`,
  );
  agent = startAgent(config, { ...process.env, PANICMODE_STATE_DIR: dir, PANICMODE_SECRET_TTL: '500ms' });
  await waitFor(() => /watching/.test(agent!.output()), 20_000, 'the agent', agent.output);
  await new Promise((r) => setTimeout(r, 1500));
  assert.doesNotMatch(agent.output(), /a secret changed/, 'an unchanged secret does not reload');
  writeFileSync(secretFile, 'rotated-secret-value\n');
  await waitFor(() => /a secret changed: config reloaded/.test(agent!.output()), 10_000, 'the rotated secret to be picked up', agent.output);
  assert.ok(!agent.output().includes('rotated-secret-value') && !agent.output().includes('first-secret-value'), 'secrets never printed');
});
