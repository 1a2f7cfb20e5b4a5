import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = join(root, 'bin', 'panicmode.js');
const dir = mkdtempSync(join(tmpdir(), 'pm-cli-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const run = (args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> =>
  new Promise((resolve) => {
    const childEnv: NodeJS.ProcessEnv = { ...process.env, PANICMODE_STATE_DIR: join(dir, 'state'), PANICMODE_FROM_SOURCE: '1', ...env };
    delete childEnv.PANICMODE_CONFIG;
    Object.assign(childEnv, env);
    execFile(process.execPath, [bin, ...args], { cwd: root, env: childEnv, timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: number }).code ?? 1) : 0;
      resolve({ code: typeof code === 'number' ? code : 1, stdout, stderr });
    });
  });

test('check-config: compat and example configs pass with exit 0 and a summary', async () => {
  const files = [
    '/work/shared/compat/panicmode/config.yaml',
    '/work/shared/compat/panicmode/basic.yaml',
    join(root, 'examples/config.yaml'),
    join(root, 'examples/minimal.yaml'),
    join(root, 'examples/basic.yaml'),
  ];
  const results = await Promise.all(files.map((f) => run(['check-config', f])));
  results.forEach((r, i) => {
    assert.equal(r.code, 0, `${files[i]}: ${r.stderr}`);
    assert.match(r.stdout, new RegExp(`^OK: ${files[i]!.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: \\d+ monitors`));
  });
  assert.match(results[0]!.stdout, /17 monitors \(17 enabled\)/);
  const withPolicy = await run(['check-config', files[0]!, '--mass-freeze', '/work/shared/compat/panicmode/mass_freeze.yaml']);
  assert.equal(withPolicy.code, 0, withPolicy.stderr);
});

test('check-config: a bad file prints every problem and exits 2', async () => {
  const r = await run(['check-config', join(root, 'test/fixtures/config/typo-and-types.yaml')]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /invalid config \(\d+ problems\):/);
  assert.match(r.stderr, /monitors\[2\]\.treshold: unknown key \(did you mean "threshold"\?\)/);
  assert.match(r.stderr, /monitors\[1\]\.threshold: expected a number, got "high"/);
  assert.match(r.stderr, /alerts\.critical\[0\]: channel telegram needs integrations\.telegram/);
  assert.equal(r.stdout, '');
});

test('check-config: missing file exits 2; no file checks the embedded default; --help', async () => {
  const missing = await run(['check-config', join(dir, 'nope.yaml')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /nope\.yaml: invalid config.*\n\s+no such file/);
  const def = await run(['check-config']);
  assert.equal(def.code, 0, def.stderr);
  assert.match(def.stdout, /^OK: <embedded default>: .*dry-run/);
  const help = await run(['check-config', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Usage: panicmode check-config/);
  const bad = await run(['check-config', '--bogus']);
  assert.equal(bad.code, 2);
});

test('check-config --resolve-secrets reports unset references; without it only their form is checked', async () => {
  const f = join(dir, 'secret.yaml');
  writeFileSync(f, 'integrations:\n  telegram:\n    bot_token: "${env:PM_CLI_UNSET_TOKEN}"\n    chat_id: "1"\n');
  assert.equal((await run(['check-config', f])).code, 0);
  const resolved = await run(['check-config', f, '--resolve-secrets']);
  assert.equal(resolved.code, 2);
  assert.match(resolved.stderr, /integrations\.telegram\.bot_token: \$\{env:PM_CLI_UNSET_TOKEN\} is not set/);
  writeFileSync(f, 'integrations:\n  telegram:\n    bot_token: "${file:relative/path}"\n');
  const badForm = await run(['check-config', f]);
  assert.equal(badForm.code, 2);
  assert.match(badForm.stderr, /integrations\.telegram\.bot_token: \$\{file:relative\/path\}: expected an absolute path/);
});

test('config show: effective config with defaults, secrets redacted, YAML and --json', async () => {
  const f = join(dir, 'show.yaml');
  writeFileSync(
    f,
    'monitors:\n  - {name: cpu, type: cpu_usage, threshold: 90, duration: 90s, actions: [alert_critical]}\n' +
      'alerts:\n  critical:\n    - channel: telegram\n' +
      'integrations:\n  telegram:\n    bot_token: "${env:PM_SHOW_TOKEN}"\n    chat_id: "777"\n',
  );
  const env = { PM_SHOW_TOKEN: 'show-secret-token-xyz' };
  const y = await run(['config', 'show', '--config', f], env);
  assert.equal(y.code, 0, y.stderr);
  assert.equal(y.stdout.includes('show-secret-token-xyz'), false);
  const doc = parse(y.stdout);
  assert.equal(doc.integrations.telegram.bot_token, '***');
  assert.equal(doc.monitors[0].duration, '1m30s', 'durations shown as strings in YAML');
  assert.equal(doc.performance.check_interval, '5s');
  const j = await run(['config', 'show', '--json'], { ...env, PANICMODE_CONFIG: f });
  assert.equal(j.code, 0, j.stderr);
  const json = JSON.parse(j.stdout);
  assert.equal(json.monitors[0].duration, 90_000, 'JSON keeps milliseconds');
  assert.equal(json.integrations.telegram.bot_token, '***');
  assert.equal(json.anomaly.cpu_spike_threshold, 95);
  const def = await run(['config', 'show', '--json']);
  assert.equal(JSON.parse(def.stdout).dry_run, true, 'no config: the embedded default');
  const bad = await run(['config', 'list']);
  assert.equal(bad.code, 2);
  const invalid = await run(['config', 'show', '--config', join(root, 'test/fixtures/config/typo-and-types.yaml')]);
  assert.equal(invalid.code, 2);
  assert.match(invalid.stderr, /treshold/);
});

/** Writes `text` as a config, checks it, and asserts a clean refusal: exit 2, no stack trace. */
const refused = async (name: string, text: string | Buffer): Promise<string> => {
  const f = join(dir, name);
  writeFileSync(f, text);
  const r = await run(['check-config', f]);
  assert.equal(r.code, 2, `${name}: exit ${r.code}\n${r.stdout}${r.stderr}`);
  assert.equal(r.stdout, '');
  assert.doesNotMatch(r.stderr, /\n\s+at .*[(:]\d+/, `${name}: stack trace in\n${r.stderr}`);
  assert.match(r.stderr, new RegExp(`^${f.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: invalid config`));
  return r.stderr;
};

test('check-config: every duration key has a range; values that break timers are refused with path, value and range', async () => {
  const err = await refused(
    'durations.yaml',
    [
      'performance: {check_interval: 0s}',
      'circuit_breakers: {timeout: 30d, failure_window: 0s}',
      'retention: {cleanup_interval: 0s, incidents: 10m}',
      'monitors:',
      '  - {name: a, type: cpu_usage, threshold: 90, duration: 99999999999999999999999d}',
      '  - {name: b, type: auth_failures, threshold: 5, window: 0s}',
      'actions: {ban: {type: firewall, duration: 400d}, slow: {type: script, action: /bin/true, timeout: 25d}}',
      'alerts: {critical: [{channel: console, timeout: 1h}]}',
      'custom_metrics: {q: {command: "true", timeout: 0s, cache_ttl: 2d}}',
      'firewall: {ban_duration: 0s, ban_increment: {max: 9999d}}',
      'processes: [{name: p, systemd_unit: p.service, restart_window: 0s, cooldown: 30d}]',
      'users: {persistent_time: 1s}',
      'file_monitor: {aggregation_window: 0s}',
      '',
    ].join('\n'),
  );
  for (const line of [
    'performance.check_interval: expected a duration from 100ms to 1h, got "0s"',
    'circuit_breakers.timeout: expected a duration from 100ms to 1h, got "30d"',
    'circuit_breakers.failure_window: expected a duration from 1s to 1d, got "0s"',
    'retention.cleanup_interval: expected a duration from 1m to 1d, got "0s"',
    'retention.incidents: expected a duration from 1h to 3650d, got "10m"',
    'monitors[0].duration: expected a duration from 0s to 1d, got "99999999999999999999999d"',
    'monitors[1].window: expected a duration from 1s to 1d, got "0s"',
    'actions.ban.duration: expected a duration from 1s to 365d, got "400d"',
    'actions.slow.timeout: expected a duration from 100ms to 1h, got "25d"',
    'alerts.critical[0].timeout: expected a duration from 100ms to 10m, got "1h"',
    'custom_metrics.q.timeout: expected a duration from 100ms to 10m, got "0s"',
    'custom_metrics.q.cache_ttl: expected a duration from 0s to 1d, got "2d"',
    'firewall.ban_duration: expected a duration from 1s to 365d, got "0s"',
    'firewall.ban_increment.max: expected a duration from 1s to 365d, got "9999d"',
    'processes[0].restart_window: expected a duration from 1s to 1d, got "0s"',
    'processes[0].cooldown: expected a duration from 0s to 1d, got "30d"',
    'users.persistent_time: expected a duration from 1m to 7d, got "1s"',
    'file_monitor.aggregation_window: expected a duration from 1s to 1d, got "0s"',
  ]) {
    assert.ok(err.includes(`  ${line}\n`), `missing "${line}" in\n${err}`);
  }
  const policy = join(dir, 'policy.yaml');
  writeFileSync(policy, 'freeze_timeout: 1h\n');
  const withPolicy = await run(['check-config', join(root, 'examples/minimal.yaml'), '--mass-freeze', policy]);
  assert.equal(withPolicy.code, 2);
  assert.match(withPolicy.stderr, /freeze_timeout: expected a duration from 1s to 10m, got "1h"/);
});

test('check-config: alias bombs, unresolved or cyclic aliases and deep nesting are refused with a place, no stack trace', async () => {
  const laughs = ['a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1]'];
  for (const [name, prev] of [['b', 'a'], ['c', 'b'], ['d', 'c'], ['e', 'd'], ['f', 'e'], ['g', 'f']])
    laughs.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(', ')}]`);
  assert.match(await refused('bomb.yaml', laughs.join('\n') + '\n'), /\n {2}e\[0\]: aliases expand to more than 10000 values/);
  assert.match(await refused('unresolved.yaml', 'performance: *nope\n'), /\n {2}performance: alias \*nope names no anchor before it/);
  assert.match(await refused('cycle.yaml', 'monitors: &m [*m]\n'), /\n {2}monitors\[0\]: alias \*m refers to a value that contains it/);
  assert.match(await refused('deep-flow.yaml', `performance:\n  x: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`), /\n {2}2:\d+: nested deeper than 64 levels/);
  assert.match(await refused('deep-seq.yaml', `monitors:\n  ${'- '.repeat(20_000)}x\n`), /nested deeper than 64 levels/);
  const chain = ['a0: &a0 [1]', ...Array.from({ length: 80 }, (_, i) => `a${i + 1}: &a${i + 1} [*a${i}]`)];
  assert.match(await refused('deep-aliases.yaml', chain.join('\n') + '\n'), /\n {2}a64: nested deeper than 64 levels once its aliases are expanded/);
  // Sharing one list of routes through an anchor is what aliases are for, and stays fine.
  const f = join(dir, 'shared-routes.yaml');
  writeFileSync(f, 'alerts:\n  critical: &routes [{channel: console}]\n  warning: *routes\n  info: *routes\n');
  const ok = await run(['check-config', f]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /3 alert routes \(console\)/);
});

test('check-config: a duplicate key is refused at its path, even when YAML spells the two keys differently', async () => {
  assert.match(await refused('dup.yaml', 'performance:\n  cpu_limit: 5\n  cpu_limit: 6\n'), /\n {2}performance\.cpu_limit: given twice \(2:3 and 3:3\); the second would silently win/);
  assert.match(await refused('dup-typed.yaml', 'users:\n  thresholds:\n    1000: {cpu_threshold: 50}\n    "1000": {cpu_threshold: 90}\n'), /\n {2}users\.thresholds\.1000: given twice \(3:5 and 4:5\)/);
});

test('check-config: more than 50,000 keys and values are refused before the YAML is built (a flat 1 MiB list took 1.2 GB)', async () => {
  const err = await refused('flat.yaml', `processes: [${Array(400_000).fill('1').join(',')}]\n`);
  assert.match(err, /\n {2}1:100011: more than 50000 keys and values/);
});

test('check-config: a file over 1 MiB is refused before it is parsed (a 50 MB one took 1.86 GB)', async () => {
  const err = await refused('huge.yaml', Buffer.alloc(50 * 1024 * 1024, '#'));
  assert.match(err, /\n {2}the file is larger than 1 MiB \(52428800 bytes\)/);
  const policy = join(dir, 'huge-policy.yaml');
  writeFileSync(policy, Buffer.alloc(2 * 1024 * 1024, '#'));
  const r = await run(['check-config', join(root, 'examples/minimal.yaml'), '--mass-freeze', policy]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /huge-policy\.yaml: invalid config.*\n {2}the file is larger than 1 MiB/);
});

test('check-config: whitelist entries the firewall would refuse are refused here too (one parser)', async () => {
  const err = await refused('whitelist.yaml', 'firewall:\n  whitelist: ["10.0.0.0/8", "1.2.3.4/0000", "fe80::1%eth0/64", "2001:db8::/32", "010.1.1.1"]\n');
  assert.match(err, /invalid config \(3 problems\)/);
  assert.match(err, /\n {2}firewall\.whitelist\[1\]: expected an IP address or CIDR block, got "1\.2\.3\.4\/0000"/);
  assert.match(err, /\n {2}firewall\.whitelist\[2\]: expected an IP address or CIDR block, got "fe80::1%eth0\/64"/);
  assert.match(err, /\n {2}firewall\.whitelist\[4\]: expected an IP address or CIDR block, got "010\.1\.1\.1"/);
  // run refuses it the same way, before it creates anything (it used to create the database first).
  const state = join(dir, 'whitelist-state');
  const r = await run(['run', '--config', join(dir, 'whitelist.yaml')], { PANICMODE_STATE_DIR: state });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /firewall\.whitelist\[1\]: expected an IP address or CIDR block, got "1\.2\.3\.4\/0000"/);
  assert.equal(existsSync(state), false, 'nothing created under the state directory');
});

test('check-config: an unknown secret scheme is refused with its path; shell expansions are left alone', async () => {
  const err = await refused('aws.yaml', 'integrations:\n  telegram:\n    bot_token: "${aws:x}"\n    chat_id: "1"\n');
  assert.match(err, /\n {2}integrations\.telegram\.bot_token: \$\{aws:x\}: unknown secret scheme "aws" \(expected \$\{env:NAME\}, \$\{file:\/path\} or \$\{vault:PATH#KEY\}\)/);
  const f = join(dir, 'shell.yaml');
  writeFileSync(f, 'custom_metrics:\n  q:\n    command: "echo ${DEPTH:-0} ${x:1}"\n');
  const ok = await run(['check-config', f]);
  assert.equal(ok.code, 0, ok.stderr);
});

test('check-config: URL keys are checked when decoded; a bare ntfy host means https://host', async () => {
  const f = join(dir, 'ntfy.yaml');
  writeFileSync(f, 'integrations:\n  ntfy:\n    server: "ntfy.sh"\n    topic: t\nalerts:\n  critical: [{channel: ntfy}]\n');
  const ok = await run(['check-config', f]);
  assert.equal(ok.code, 0, ok.stderr);
  const shown = await run(['config', 'show', '--json', '--config', f]);
  assert.equal(JSON.parse(shown.stdout).integrations.ntfy.server, 'https://ntfy.sh');
  const err = await refused(
    'urls.yaml',
    [
      'integrations:',
      '  ntfy: {server: "https://", topic: t}',
      '  discord: {webhook_url: "discord.com/api/webhooks/1/x"}',
      '  slack: {webhook_url: "ftp://hooks.slack.com/x"}',
      '  webhook: {url: "http://exa mple.com/hook"}',
      '  alertmanager: {url: "127.0.0.1:9093"}',
      '  telegram: {bot_token: x, chat_id: "1", api_base_url: "https://tg proxy"}',
      'alerts:',
      '  critical: [{channel: webhook, url: "not a url"}]',
      // A URL built around a secret reference is checked around it.
      '  warning: [{channel: webhook, webhook_url: "${env:HOOK_BASE}/alerts"}, {channel: discord, webhook_url: "${file:/run/secrets/d}"}]',
      '',
    ].join('\n'),
  );
  assert.match(err, /invalid config \(7 problems\)/);
  for (const line of [
    'integrations.ntfy.server: expected a server like "ntfy.sh" or "https://ntfy.example.com", got "https://" (not a URL)',
    'integrations.discord.webhook_url: expected an http(s) URL like "https://hooks.example.com/path", got "discord.com/api/webhooks/1/x" (no http:// or https://)',
    'integrations.slack.webhook_url: expected an http(s) URL like "https://hooks.example.com/path", got "ftp://hooks.slack.com/x" (ftp is not http or https)',
    'integrations.webhook.url: expected an http(s) URL like "https://hooks.example.com/path", got "http://exa mple.com/hook" (not a URL)',
    'integrations.alertmanager.url: expected an http(s) URL like "https://hooks.example.com/path", got "127.0.0.1:9093" (no http:// or https://)',
    'integrations.telegram.api_base_url: expected a server like "ntfy.sh" or "https://ntfy.example.com", got "https://tg proxy" (not a URL)',
    'alerts.critical[0].url: expected an http(s) URL like "https://hooks.example.com/path", got "not a url" (no http:// or https://)',
  ]) {
    assert.ok(err.includes(`  ${line}\n`), `missing "${line}" in\n${err}`);
  }
  // --resolve-secrets checks what the reference resolves to, as run does.
  const s = join(dir, 'url-secret.yaml');
  writeFileSync(s, 'integrations:\n  discord: {webhook_url: "${env:PM_HOOK}"}\n');
  assert.equal((await run(['check-config', s])).code, 0);
  const resolved = await run(['check-config', s, '--resolve-secrets'], { PM_HOOK: 'discord.com/hook' });
  assert.equal(resolved.code, 2);
  assert.match(resolved.stderr, /integrations\.discord\.webhook_url: expected an http\(s\) URL .*got "\*\*\*" \(no http:\/\/ or https:\/\/\)/);
});

test('check-config: the developer guide custom-metric snippet passes; with several metrics the error names them', async () => {
  const snippet = [
    'custom_metrics:',
    '  app_queue_depth:',
    '    command: "/bin/sh -c \\"redis-cli LLEN job_queue\\""',
    '    timeout: "3s"',
    '    cache_ttl: "5s"',
    '    output_format: "number"',
    '',
    'monitors:',
    '  - name: queue_backed_up',
    '    type: custom',
    '    threshold: 10000.0',
    '    actions: [alert_warning]',
    '',
  ].join('\n');
  const f = join(dir, 'guide-custom.yaml');
  writeFileSync(f, snippet);
  const ok = await run(['check-config', f]);
  assert.equal(ok.code, 0, ok.stderr);
  const shown = await run(['config', 'show', '--json', '--config', f]);
  assert.equal(JSON.parse(shown.stdout).monitors[0].metric, 'app_queue_depth');
  const err = await refused('two-custom.yaml', snippet.replace('\nmonitors:', '  redis_mb:\n    command: "echo 1"\n\nmonitors:'));
  assert.match(err, /\n {2}monitors\[0\]: cannot tell which custom metric "queue_backed_up" reads: add metric: <one of app_queue_depth, redis_mb>/);
});
