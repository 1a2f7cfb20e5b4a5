/**
 * Storm summaries are durable (issue 7, item 5), with the real agent following a real
 * auth log and a real webhook receiver on 127.0.0.1: 500 attackers (4 failures each, threshold 3) make 500 incidents
 * of one rule in a burst; the alert rate limit lets the first through and holds the
 * rest for a summary ("×499 in 1m"). Whether the agent is then stopped (SIGTERM) or
 * killed (kill -9, then restarted), the alerts delivered account for every incident:
 * the sum of their counts equals the incidents recorded.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { storageYaml, waitFor } from './agent-process.js';
import { spawnAgentGroup, type GroupAgent } from './agent-group.js';
import { startHttpReceiver, type HttpReceiver } from '../alerts/helpers/http-receiver.js';

const ATTACKERS = 500;

const attackBurst = (): string => {
  let text = '';
  for (let n = 0; n < ATTACKERS; n++) {
    const ip = `203.0.${113 + Math.floor(n / 250)}.${(n % 250) + 1}`;
    for (let i = 0; i < 4; i++) text += `Nov 22 00:10:0${i} web-1 sshd[${5000 + n}]: Failed password for invalid user u${i} from ${ip} port ${40000 + i} ssh2\n`;
  }
  return text;
};

const setUp = async (t: TestContext) => {
  const receiver = await startHttpReceiver();
  const dir = mkdtempSync(join(tmpdir(), 'pm-storm-'));
  t.after(async () => {
    await receiver.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const authLog = join(dir, 'auth.log');
  writeFileSync(authLog, 'Nov 22 00:00:00 web-1 sshd[1]: Server listening on 0.0.0.0 port 22.\n');
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    `performance:
  check_interval: 1s
monitors:
  - name: ssh_storm
    type: auth_failures
    threshold: 3
    window: 60s
    paths: [${authLog}]
    actions: [alert_critical]
anomaly:
  enabled: false
alerts:
  critical:
    - channel: webhook
      webhook_url: ${receiver.url}/hook
integrations:
  webhook:
    enabled: true
${storageYaml(dir)}firewall:
  ctl_socket: ${join(dir, 'ctl.sock')}
`,
  );
  const env = { ...process.env, PANICMODE_STATE_DIR: dir, PANICMODE_LOG_LEVEL: 'info' };
  const incidents = (): number => {
    const db = new BetterSqlite3(join(dir, 'incidents.db'), { readonly: true });
    try {
      return (db.prepare("SELECT count(*) AS n FROM incidents WHERE name = 'ssh_storm' AND status = 'firing'").get() as { n: number }).n;
    } catch {
      return 0; // not created yet
    } finally {
      db.close();
    }
  };
  return { receiver, authLog, config, env, incidents };
};

/** Sum of `incident.count` over the alerts the receiver got: how many incidents they stand for. */
const alerted = (r: HttpReceiver): number =>
  r.requests.reduce((sum, req) => sum + (JSON.parse(req.body) as { incident: { count: number } }).incident.count, 0);

const burstRecorded = async (s: Awaited<ReturnType<typeof setUp>>, agent: GroupAgent) => {
  await waitFor(() => /following \S*auth\.log from/.test(agent.output()), 30_000, 'the agent to follow the log', agent.output);
  appendFileSync(s.authLog, attackBurst());
  await waitFor(() => s.incidents() >= ATTACKERS, 60_000, `${ATTACKERS} incidents recorded`, agent.output);
  await s.receiver.waitFor(1, 15_000);
  // the alert path runs just behind the record; give it a moment on a loaded machine
  await new Promise((r) => setTimeout(r, 1_000));
};

test('500 incidents in a burst, then SIGTERM: the summary held back is flushed, the alerts account for all 500', { timeout: 120_000 }, async (t) => {
  const s = await setUp(t);
  const agent = spawnAgentGroup(t, s.config, s.env);
  await burstRecorded(s, agent);
  assert.equal(alerted(s.receiver), 1, 'the rate limit holds the rest of the storm (window 1m)');
  process.kill(agent.pid, 'SIGTERM');
  assert.equal((await agent.exited).code, 0, agent.output());
  assert.equal(s.receiver.requests.length, 2, 'the first alert and one summary');
  assert.equal(alerted(s.receiver), s.incidents(), `alerts stand for ${alerted(s.receiver)} of ${s.incidents()} incidents`);
  assert.match(JSON.parse(s.receiver.requests[1]!.body).title, /×499 in 1m/);
});

test('500 incidents in a burst, then kill -9 and restart: the owed summary is delivered, the alerts account for all 500', { timeout: 120_000 }, async (t) => {
  const s = await setUp(t);
  const first = spawnAgentGroup(t, s.config, s.env);
  await burstRecorded(s, first);
  process.kill(first.pid, 'SIGKILL');
  await first.exited;
  assert.equal(alerted(s.receiver), 1);

  const second = spawnAgentGroup(t, s.config, s.env);
  await waitFor(() => alerted(s.receiver) >= ATTACKERS, 30_000, 'the owed summary after the restart', second.output);
  process.kill(second.pid, 'SIGTERM');
  assert.equal((await second.exited).code, 0, second.output());
  // Incidents the restarted agent may raise again (lines it re-reads) are alerted too.
  assert.equal(alerted(s.receiver), s.incidents(), `alerts stand for ${alerted(s.receiver)} of ${s.incidents()} incidents`);
});
