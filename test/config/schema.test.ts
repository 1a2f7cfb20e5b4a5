import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfigFile, loadConfigText, defaultConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';
import { loadMassFreezePolicyFile, loadMassFreezePolicyText, unknownClusterProblems } from '../../src/config/mass-freeze.js';
import { resolveCustomMetric } from '../../src/config/cross-checks.js';
import { resolveConfigPath } from '../../src/config/config-path.js';
import { problemsOf } from './config-problems.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const compat = '/work/shared/compat/panicmode';
const fixture = (name: string) => join(root, 'test', 'fixtures', 'config', name);


const minimal = (extra = '') => `monitors:\n  - name: cpu\n    type: cpu_usage\n    threshold: 90\n    actions: [alert_warning]\n${extra}`;

test('compat config.yaml decodes unchanged, with the reference defaults and its values', async () => {
  const c = await loadConfigFile(join(compat, 'config.yaml'));
  assert.equal(c.monitors.length, 17);
  assert.equal(c.performance.check_interval, 5000);
  assert.equal(c.monitors.find((m) => m.name === 'SSH Brute Force Attack')!.window, 60_000);
  const redis = c.monitors.find((m) => m.name === 'Redis Memory High')!;
  assert.equal(redis.metric, 'redis_memory', 'custom monitor resolved by words of its name');
  assert.equal(redis.threshold, 1_000_000_000);
  assert.deepEqual(c.monitors.find((m) => m.name === 'Website Cluster Overload')!.actions, ['mass_freeze_cluster:website', 'alert_warning']);
  assert.equal(c.actions.block_malicious!.action, '/opt/panicmode/scripts/block_ip.sh');
  assert.equal(c.alerts.critical[0]!.contacts![0]!.timeout, 120_000);
  assert.equal(c.alerts.critical[0]!.retries, 3, 'route retries default');
  assert.equal(c.integrations.ntfy!.token, undefined, 'token: null is absent');
  assert.deepEqual(c.integrations.email!.to_email, ['admin@yourcompany.com']);
  assert.equal(c.custom_metrics.queue_length!.output_format, 'json');
  assert.equal(c.circuit_breakers.open_duration, 30_000);
  assert.deepEqual(c.alerts.emergency, c.alerts.critical, 'emergency defaults to the critical routes');
  // sections the file does not have take the defaults
  assert.equal(c.firewall.enabled, true);
  assert.deepEqual(c.firewall.whitelist, []);
  assert.equal(c.http_api.bind, '127.0.0.1:8765');
  assert.equal(c.dry_run, false);
});

test('compat basic.yaml decodes unchanged', async () => {
  const c = await loadConfigFile(join(compat, 'basic.yaml'));
  assert.equal(c.monitors.length, 6);
  assert.equal(c.monitors[0]!.type, 'auth_failures');
  assert.equal(c.monitors[1]!.duration, 30_000);
  assert.deepEqual(c.actions.block_ip, { type: 'firewall', duration: 3_600_000 });
  assert.equal(c.actions.rate_limit!.rate, '10/s');
  assert.deepEqual(c.actions.snapshot!.capture, ['logs', 'processes', 'connections', 'files']);
  assert.equal(c.alerts.critical[1]!.email, 'your.alert.email@example.com');
  assert.equal(c.alerts.critical[1]!.timeout, 15_000);
  assert.equal(c.alerts.critical.find((r) => r.channel === 'twilio_sms')!.contacts![0]!.timeout, 30_000);
  assert.equal(c.integrations.telegram!.chat_id, '123456789');
});

test('compat mass_freeze.yaml decodes as a MassFreezePolicy, and clusters are checked', async () => {
  const p = await loadMassFreezePolicyFile(join(compat, 'mass_freeze.yaml'));
  assert.equal(p.mode, 'all');
  assert.equal(p.top_cpu.count, 5);
  assert.equal(p.top_cpu.min_cpu_to_freeze, 50);
  // the compat list form decodes to a selector of names (mass-freeze.ts ClusterSelector)
  assert.deepEqual(p.cluster.definitions.website, { names: ['nginx', 'php-fpm', 'mysqld', 'apache2'] });
  assert.equal(p.cluster.service_aliases.webserver, 'nginx.service');
  assert.ok(p.whitelist_processes.includes('sshd'));
  assert.equal(p.freeze_timeout, 30_000);
  assert.deepEqual(unknownClusterProblems([{ actions: ['mass_freeze_cluster:website', 'mass_freeze_cluster:nope'] }], p), [
    'monitors[0].actions[1]: cluster "nope" is not defined in the mass-freeze policy (have: website, crm, api, monitoring, docker, webserver, database, cache, webapp)',
  ]);
  assert.throws(() => loadMassFreezePolicyText('mode: everything\ntop_cpu:\n  cont: 3\n'), (e: unknown) => {
    assert.ok(e instanceof ConfigError);
    assert.deepEqual(e.problems, [
      'mode: expected one of all, top_cpu, cluster, got "everything"',
      'top_cpu.cont: unknown key (did you mean "count"?)',
    ]);
    return true;
  });
});

test('examples all decode (secret references checked for form)', async () => {
  for (const name of ['config.yaml', 'minimal.yaml', 'basic.yaml']) {
    const c = await loadConfigFile(join(root, 'examples', name), { secrets: 'check' });
    assert.ok(c.monitors.length > 0, name);
  }
  await loadMassFreezePolicyFile(join(root, 'examples', 'mass_freeze.yaml'));
});

test('embedded default decodes: dry-run, console alerts, SSH rule, storage under the state dir', () => {
  const saved = process.env.PANICMODE_STATE_DIR;
  process.env.PANICMODE_STATE_DIR = '/tmp/pm-state-test';
  try {
    const c = defaultConfig();
    assert.equal(c.dry_run, true);
    const ssh = c.monitors.find((m) => m.type === 'auth_failures')!;
    assert.equal(ssh.threshold, 5);
    assert.equal(ssh.window, 60_000);
    assert.deepEqual(ssh.actions, ['block_ip', 'alert_critical']);
    for (const type of ['cpu_usage', 'memory_usage', 'swap_usage', 'disk_usage', 'load_average']) {
      assert.ok(c.monitors.some((m) => m.type === type), type);
    }
    for (const s of ['critical', 'warning', 'info'] as const) assert.deepEqual(c.alerts[s].map((r) => r.channel), ['console']);
    assert.equal(c.storage.incident_db, '/tmp/pm-state-test/incidents.db');
    assert.equal(c.storage.state_file, undefined, 'nothing reads a state file: no default is invented');
    assert.equal(c.storage.snapshot_dir, '/tmp/pm-state-test/snapshots');
    if (process.getuid?.() !== 0) assert.equal(c.firewall.ctl_socket, '/tmp/pm-state-test/ctl.sock');
    assert.deepEqual(
      { ...c.anomaly },
      { enabled: true, cpu_spike_threshold: 95, memory_spike_threshold: 95, connection_spike_threshold: 10000, suspicious_ip_threshold: 3, high_load_threshold: 10, suspicious_connections_per_ip: 50, fork_bomb: { enabled: true, rate: 200, interval: 100, min_tree_size: 50, kill: true, grace: 0 } },
    );
    assert.deepEqual({ ...c.circuit_breakers }, { max_failures: 5, failure_window: 60_000, open_duration: 30_000, max_concurrency: 5, timeout: 10_000 });
    assert.equal(c.performance.cpu_limit, 5);
    assert.equal(c.performance.memory_limit_mb, 120, "the embedded default fits a Node.js agent (the codec default stays 50)");
  } finally {
    if (saved === undefined) delete process.env.PANICMODE_STATE_DIR;
    else process.env.PANICMODE_STATE_DIR = saved;
  }
});

test('an empty file is the all-defaults config; a user file defaults dry_run to false', async () => {
  const c = await loadConfigText('', 'empty.yaml');
  assert.deepEqual(c.monitors, []);
  assert.equal(c.dry_run, false);
  assert.equal(c.firewall.restore_on_startup, true);
  assert.equal(c.firewall.backend, 'script');
  assert.equal(c.firewall.nft_table, 'panicmode');
  assert.deepEqual({ ...c.firewall.ban_increment }, { enabled: true, factor: 2, max: 7 * 86_400_000 });
  assert.equal(c.firewall.ipv6_prefix, 64);
  assert.equal(c.http_api.enabled, false);
});

test('a typo names the place and suggests the key', async () => {
  const problems = await problemsOf(
    `monitors:\n  - {name: a, type: cpu_usage, threshold: 1}\n  - {name: b, type: cpu_usage, threshold: 1}\n  - name: c\n    type: cpu_usage\n    treshold: 90\n`,
  );
  assert.deepEqual(problems, ['monitors[2].treshold: unknown key (did you mean "threshold"?)'], 'the typo, not also "threshold: missing"');
  assert.deepEqual(await problemsOf('monitors:\n  - {name: a, type: cpu_usage}\n'), ['monitors[0].threshold: missing (expected a number)']);
  const top = await problemsOf('monitor:\n  - name: x\n');
  assert.deepEqual(top, ['monitor: unknown key (did you mean "monitors"?)']);
  const deep = await problemsOf('firewall:\n  ban_increment:\n    factr: 3\n');
  assert.deepEqual(deep, ['firewall.ban_increment.factr: unknown key (did you mean "factor"?)']);
});

test('wrong types say what was expected and what was found', async () => {
  const problems = await problemsOf(
    `monitors:\n  - {name: a, type: cpu_usage, threshold: 1}\n  - {name: b, type: cpu_usage, threshold: 1}\n  - {name: c, type: cpu_usage, threshold: high}\n` +
      `performance:\n  check_interval: 5\nhttp_api:\n  enabled: "yes"\n  bind: localhost\n`,
  );
  assert.deepEqual(problems, [
    'performance.check_interval: expected a duration like "5s", got a bare number 5 (add a unit: ms, s, m, h, d)',
    'monitors[2].threshold: expected a number, got "high"',
    'http_api.enabled: expected true or false, got "yes"',
    'http_api.bind: expected an address like "127.0.0.1:8765", got "localhost"',
  ]);
});

test('every problem of a bad file is reported at once (shape and cross-field)', async () => {
  try {
    await loadConfigFile(fixture('typo-and-types.yaml'));
    assert.fail('accepted');
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    assert.match(err.message, /typo-and-types\.yaml: invalid config/);
    const expected = [
      /^performance\.check_interval: expected a duration like "5s"/,
      /^monitors\[1\]\.threshold: expected a number, got "high"$/,
      /^monitors\[2\]\.treshold: unknown key \(did you mean "threshold"\?\)$/,
      /^monitors\[2\]\.actions\[0\]: unknown action "alert_warnign" \(did you mean "alert_warning"\?/,
      /^monitors\[3\]\.type: expected a monitor type \(one of cpu_usage, .*\), got "gpu_temperature"$/,
      /^firewall\.whitelist\[1\]: expected an IP address or CIDR block, got "not-an-ip"$/,
      /^alerts\.critical\[0\]: channel telegram needs integrations\.telegram/,
    ];
    for (const re of expected) assert.ok(err.problems.some((p) => re.test(p)), `${re} not in\n${err.problems.join('\n')}`);
  }
});

test('YAML syntax errors name line:col; a duplicate key names its path and both places', async () => {
  const problems = await problemsOf('monitors:\n  - name: a\n    type: [cpu_usage\n');
  assert.match(problems[0]!, /^\d+:\d+: /);
  const dup = await problemsOf('dry_run: true\ndry_run: false\n');
  assert.deepEqual(dup, ['dry_run: given twice (1:1 and 2:1); the second would silently win']);
});

test('cross-field: actions must exist; names of actions: and mass_freeze_cluster:<name> are accepted', async () => {
  const ok = await loadConfigText(
    minimal('  - name: d\n    type: cpu_usage\n    threshold: 1\n    actions: [my_script, "mass_freeze_cluster:web", restart_process]\n') +
      'actions:\n  my_script:\n    type: script\n    action: /bin/true\n',
  );
  assert.deepEqual(ok.monitors[1]!.actions, ['my_script', 'mass_freeze_cluster:web', 'restart_process']);
  const problems = await problemsOf(minimal('  - name: d\n    type: cpu_usage\n    threshold: 1\n    actions: [my_scirpt, "mass_freeze_cluster:"]\n') + 'actions:\n  my_script:\n    type: script\n');
  assert.ok(problems.some((p) => p.startsWith('monitors[1].actions[0]: unknown action "my_scirpt" (did you mean "my_script"?')), problems.join('\n'));
  assert.ok(problems.includes('monitors[1].actions[1]: expected mass_freeze_cluster:<name>, got "mass_freeze_cluster:"'), problems.join('\n'));
  assert.ok(problems.includes('actions.my_script.action: a script action needs action: <path of the script>'), problems.join('\n'));
});

test('cross-field: custom monitors resolve to a custom metric', async () => {
  const metrics = { redis_memory: {}, queue_length: {}, app_health: {} };
  assert.equal(resolveCustomMetric({ name: 'Redis Memory High' }, metrics), 'redis_memory');
  assert.equal(resolveCustomMetric({ name: 'queue_length' }, metrics), 'queue_length');
  assert.equal(resolveCustomMetric({ name: 'x', metric: 'app_health' }, metrics), 'app_health');
  assert.equal(resolveCustomMetric({ name: 'Disk latency' }, metrics), undefined);
  const cm = 'custom_metrics:\n  queue_length:\n    command: "echo 1"\n';
  const ok = await loadConfigText(`monitors:\n  - {name: "Queue Length too big", type: custom, threshold: 10}\n${cm}`);
  assert.equal(ok.monitors[0]!.metric, 'queue_length');
  // The developer guide's snippet: one metric defined, a custom monitor without metric: reads it.
  const only = await loadConfigText(`monitors:\n  - {name: "Latency", type: custom, threshold: 10}\n${cm}`);
  assert.equal(only.monitors[0]!.metric, 'queue_length');
  const two = `${cm}  app_health:\n    command: "echo 1"\n`;
  assert.deepEqual(await problemsOf(`monitors:\n  - {name: "Latency", type: custom, threshold: 10}\n${two}`), [
    'monitors[0]: cannot tell which custom metric "Latency" reads: add metric: <one of queue_length, app_health>',
  ]);
  assert.deepEqual(await problemsOf(`monitors:\n  - {name: "Q", type: custom, metric: queue_len, threshold: 10}\n${cm}`), [
    'monitors[0].metric: "queue_len" is not a key of custom_metrics (have: queue_length)',
  ]);
  assert.deepEqual(await problemsOf(`monitors:\n  - {name: "Q", type: custom, threshold: 10}\n`), [
    'monitors[0]: a custom monitor needs custom_metrics (none are defined)',
  ]);
  assert.deepEqual(await problemsOf(`monitors:\n  - {name: "Q", type: cpu_usage, metric: queue_length, threshold: 10}\n${cm}`), [
    'monitors[0].metric: only custom monitors read a metric (this one is cpu_usage)',
  ]);
});

test('cross-field: alert channels need their integration', async () => {
  const routes = (list: string) => `alerts:\n  warning:\n${list}`;
  assert.deepEqual(await problemsOf(routes('    - channel: ntfy\n    - channel: console\n    - channel: file\n    - channel: email\n')), [
    'alerts.warning[0]: channel ntfy needs integrations.ntfy (server, topic)',
    'alerts.warning[2]: channel file needs a path (route path or integrations.file.path)',
    'alerts.warning[3]: channel email needs integrations.email (smtp_host, from_email, ...)',
  ]);
  // webhook may carry its URL per route; file may carry its path per route
  const c = await loadConfigText(routes('    - channel: webhook\n      webhook_url: http://127.0.0.1:1/x\n    - channel: file\n      path: /tmp/a.jsonl\n'));
  assert.equal(c.alerts.warning.length, 2);
  assert.deepEqual(await problemsOf(routes('    - channel: twilio_sms\n') + 'integrations:\n  twilio: {account_sid: AC1, auth_token: t0ken, from_number: "+1555"}\n'), [
    'alerts.warning[0]: channel twilio_sms needs contacts (name, phone) on the route',
  ]);
  assert.deepEqual(await problemsOf(routes('    - channel: telegram\n') + 'integrations:\n  telegram: {bot_token: "1:abc"}\n'), [
    'alerts.warning[0]: channel telegram needs a chat_id (on the route or in integrations.telegram)',
  ]);
  assert.deepEqual(await problemsOf(routes('    - channel: pager\n')), [
    'alerts.warning[0].channel: expected a channel (one of telegram, discord, slack, ntfy, webhook, email, twilio_sms, twilio_call, alertmanager, console, file), got "pager"',
  ]);
});

test('extensions decode with defaults: processes, users, websocket, retention, auth_log, comparison', async () => {
  const c = await loadConfigText(
    `monitors:\n  - name: ssh\n    type: auth_failures\n    threshold: 5\n    window: 1m\n    auth_log: {source: journal, verify_pid: true}\n` +
      `  - {name: low, type: custom, metric: m, threshold: 5, comparison: below, inclusive: true, severity: critical, escalate_after: 3}\n` +
      `custom_metrics:\n  m: {command: "echo 1"}\n` +
      `processes:\n  - {name: web, systemd_unit: nginx.service}\nusers:\n  thresholds:\n    alice: {cpu_threshold: 50}\nwebsocket: {enabled: true}\nretention: {incidents: 90d}\n`,
  );
  assert.deepEqual({ ...c.monitors[0]!.auth_log }, { source: 'journal', verify_pid: true });
  assert.equal(c.monitors[1]!.comparison, 'below');
  assert.equal(c.monitors[1]!.inclusive, true);
  assert.equal(c.monitors[1]!.severity, 'critical');
  assert.equal(c.custom_metrics.m!.timeout, 5000);
  assert.equal(c.processes[0]!.max_restarts, 5);
  assert.equal(c.processes[0]!.cooldown, 120_000);
  assert.equal(c.users!.thresholds.alice!.cpu_threshold, 50);
  assert.equal(c.websocket.path, '/ws');
  assert.equal(c.retention.incidents, 90 * 86_400_000);
  assert.equal(c.retention.system_metrics, 7 * 86_400_000);
  assert.deepEqual(await problemsOf('processes:\n  - {name: web}\n'), ['processes[0]: needs systemd_unit or start_command to restart it']);
  assert.deepEqual(await problemsOf(minimal().replace('threshold: 90', 'threshold: 90\n    auth_log: {source: file}')), [
    'monitors[0].auth_log: only auth_failures monitors read the auth log (this one is cpu_usage)',
  ]);
});

test('environment overrides block/unblock scripts; resolveConfigPath order', async () => {
  const saved = process.env.PANICMODE_BLOCK_IP_SCRIPT;
  process.env.PANICMODE_BLOCK_IP_SCRIPT = '/opt/block.sh';
  try {
    const c = await loadConfigText('firewall:\n  block_script: /etc/b.sh\n');
    assert.equal(c.firewall.block_script, '/opt/block.sh');
    assert.equal(c.firewall.unblock_script, '/etc/panicmode/scripts/unblock_ip.sh');
  } finally {
    if (saved === undefined) delete process.env.PANICMODE_BLOCK_IP_SCRIPT;
    else process.env.PANICMODE_BLOCK_IP_SCRIPT = saved;
  }
  assert.equal(resolveConfigPath({ config: '/a.yaml' }, { PANICMODE_CONFIG: '/b.yaml' }), '/a.yaml');
  assert.equal(resolveConfigPath({}, { PANICMODE_CONFIG: '/b.yaml' }), '/b.yaml');
  assert.equal(resolveConfigPath({}, {}), null);
});

test('fixture files are what the tests say (sanity)', () => {
  assert.match(readFileSync(fixture('typo-and-types.yaml'), 'utf8'), /treshold/);
});
