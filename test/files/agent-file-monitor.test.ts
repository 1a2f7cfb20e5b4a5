/**
 * file_monitor through the real agent: a change to an /etc-like temp tree becomes an
 * incident that goes the normal way (handler, alert routing, outbox) to a file channel,
 * with what changed in its details; the agent no longer calls the type "not available yet".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAgent, storageYaml, waitFor, type AgentProcess } from '../e2e/agent-process.js';

test('the agent raises a file_monitor incident for a file replaced in a watched tree, and alerts it', { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pm-filemon-e2e-'));
  let agent: AgentProcess | undefined;
  t.after(async () => {
    await agent?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const etc = join(dir, 'etc');
  mkdirSync(join(etc, 'ssh'), { recursive: true });
  writeFileSync(join(etc, 'ssh', 'sshd_config'), 'PermitRootLogin no\n');
  const alertsFile = join(dir, 'alerts.jsonl');
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    `monitors:
  - name: etc_changed
    type: file_monitor
    threshold: 1
    paths: [${etc}]
    recursive: true
    actions: [alert_critical]
anomaly:
  enabled: false
alerts:
  critical:
    - channel: file
integrations:
  file:
    path: ${alertsFile}
file_monitor:
  aggregation_window: 10s
${storageYaml(dir)}firewall:
  ctl_socket: ${join(dir, 'ctl.sock')}
`,
  );
  agent = startAgent(config, { ...process.env, PANICMODE_STATE_DIR: dir });
  await waitFor(() => /watching .*file_monitors=1/.test(agent!.output()), 20_000, 'the agent to start watching', agent.output);
  assert.doesNotMatch(agent.output(), /not available yet/);

  writeFileSync(join(etc, 'ssh', 'sshd_config.new'), 'PermitRootLogin yes\n');
  renameSync(join(etc, 'ssh', 'sshd_config.new'), join(etc, 'ssh', 'sshd_config'));
  await waitFor(() => existsSync(alertsFile) && readFileSync(alertsFile, 'utf8').includes('etc_changed'), 20_000, 'the alert in the file channel', agent.output);
  const alert = readFileSync(alertsFile, 'utf8');
  assert.match(alert, /sshd_config/);
  assert.match(alert, /"severity":"critical"/);
  assert.equal(await agent.stop(), 0);
});
