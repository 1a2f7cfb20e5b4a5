/**
 * End to end: `panicmode run` as a real child process, reading a fixture proc tree
 * that only has stat, meminfo and loadavg (stat advancing), detects what the fixture
 * shows, alerts on stderr, records the incident in SQLite (read back with
 * `panicmode incidents`), degrades the collectors without files quietly, reloads on
 * SIGHUP (rejecting a bad config), and exits 0 on SIGTERM.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { busyProcTree, panicmode, startAgent, storageYaml, waitFor, type AgentProcess } from './agent-process.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

test('run against a fixture proc tree: detects, alerts, records, reloads, stops', { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pm-e2e-'));
  // The fixture's CPU is 95% busy, memory 87.5% used.
  const proc = busyProcTree(dir, 95);
  const db = join(dir, 'incidents.db');
  const config = join(dir, 'config.yaml');
  const writeConfig = (cpuThreshold: string, cpuRule = 'fixture_cpu') =>
    writeFileSync(
      config,
      `performance:
  check_interval: 200ms
monitors:
  - name: ${cpuRule}
    type: cpu_usage
    threshold: ${cpuThreshold}
    actions: [alert_critical]
  - name: fixture_memory
    type: memory_usage
    threshold: 80
    actions: [alert_warning]
alerts:
  critical:
    - channel: console
  warning:
    - channel: console
${storageYaml(dir)}firewall:
  ctl_socket: ${join(dir, 'ctl.sock')}
`,
    );
  writeConfig('80');

  let agent: AgentProcess | undefined;
  t.after(async () => {
    proc.stop();
    await agent?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  agent = startAgent(config, { ...process.env, PANICMODE_PROC_ROOT: proc.root, PANICMODE_STATE_DIR: dir, PANICMODE_LOG_LEVEL: 'info' });
  const stderr = () => agent!.output();

  await waitFor(() => /CRITICAL.*fixture_cpu/i.test(stderr()), 20_000, 'the CPU alert on stderr', stderr);
  await waitFor(() => /WARNING.*fixture_memory/i.test(stderr()), 5_000, 'the memory alert on stderr', stderr);
  // Collectors with no files in the fixture degrade without flooding the log.
  const errorLines = stderr().split('\n').filter((l) => / ERROR /.test(l));
  assert.equal(errorLines.length, 0, `no ERROR lines expected, got:\n${errorLines.join('\n')}`);

  // A bad config on SIGHUP is rejected and the agent keeps running.
  writeConfig('"high"');
  agent.child.kill('SIGHUP');
  await waitFor(() => /reload rejected/.test(stderr()), 10_000, 'the rejected reload', stderr);
  assert.match(stderr(), /monitors\[0\]\.threshold/);
  assert.equal(agent.child.exitCode, null);

  // A good config on SIGHUP replaces the rules without a restart.
  writeConfig('85', 'reloaded_cpu');
  agent.child.kill('SIGHUP');
  await waitFor(() => /config reloaded/.test(stderr()), 10_000, 'the reload', stderr);
  await waitFor(() => /CRITICAL.*reloaded_cpu/i.test(stderr()), 10_000, 'the reloaded rule firing', stderr);

  assert.equal(await agent.stop(), 0);

  // Restarted while the CPU is still high: the dedup state in SQLite means no repeat alert.
  agent = startAgent(config, { ...process.env, PANICMODE_PROC_ROOT: proc.root, PANICMODE_STATE_DIR: dir, PANICMODE_LOG_LEVEL: 'info' });
  await waitFor(() => /watching/.test(stderr()), 10_000, 'the restarted agent', stderr);
  await new Promise((r) => setTimeout(r, 1500)); // several 200 ms ticks over the threshold
  assert.doesNotMatch(stderr(), /CRITICAL.*reloaded_cpu/i, 'no duplicate alert after restart');
  assert.equal(await agent.stop(), 0);

  const out = panicmode('incidents', '--db', db, '--json');
  const rows = JSON.parse(out) as { name: string; severity: string; monitor_type: string; current_value: number }[];
  const cpu = rows.find((r) => r.name === 'fixture_cpu');
  assert.ok(cpu, `fixture_cpu recorded, got ${rows.map((r) => r.name).join(',')}`);
  assert.equal(cpu.severity, 'critical');
  assert.equal(cpu.monitor_type, 'cpu_usage');
  assert.ok(cpu.current_value > 80 && cpu.current_value <= 100, `cpu value ${cpu.current_value}`);
  assert.ok(rows.some((r) => r.name === 'fixture_memory' && Math.abs(r.current_value - 87.5) < 0.01));
});
