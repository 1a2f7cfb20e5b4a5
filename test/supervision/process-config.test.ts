/**
 * `processes:` entries: the keys supervision adds decode with their defaults and ranges,
 * and each cross-field mistake is refused with its place (a bad config exits 2 before
 * anything starts: check-config's path is the same loader).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfigText } from '../../src/config/load.js';
import { problemsOf } from '../config/config-problems.js';


test('a full entry decodes: finders, start, limits, budget (durations in ms), actions', async () => {
  const c = await loadConfigText(
    `processes:
  - name: web
    cmdline: "^/usr/bin/web --port \\\\d+"
    start_command: /usr/bin/web --port 8080
    user: www-data
    working_dir: /srv/web
    env: { MODE: prod }
    max_restarts: 3
    restart_window: 2m
    cooldown: 10m
    stable_after: 5m
    start_timeout: 30s
    stop_timeout: 5s
    limits: { cpu_percent: 150, cpu_duration: 2m, memory_mb: 512, open_files: 1000, threads: 64, children: 20 }
    actions: [alert_critical, restart_process]
`,
    'test.yaml',
  );
  const p = c.processes[0]!;
  assert.equal(p.cmdline, '^/usr/bin/web --port \\d+');
  assert.deepEqual(
    [p.max_restarts, p.restart_window, p.cooldown, p.stable_after, p.start_timeout, p.stop_timeout],
    [3, 120_000, 600_000, 300_000, 30_000, 5_000],
  );
  assert.deepEqual(p.limits, { cpu_percent: 150, cpu_duration: 120_000, memory_mb: 512, open_files: 1000, threads: 64, children: 20 });
  assert.deepEqual(p.actions, ['alert_critical', 'restart_process']);
});

test('defaults: the seed budget (5 restarts in 1m, 2m cooldown), stable after 1m, alert_warning on a limit', async () => {
  const c = await loadConfigText('processes:\n  - name: web\n    systemd_unit: web.service\n', 'test.yaml');
  const p = c.processes[0]!;
  assert.deepEqual([p.auto_restart, p.max_restarts, p.restart_window, p.cooldown, p.stable_after, p.start_timeout, p.stop_timeout], [true, 5, 60_000, 120_000, 60_000, 10_000, 10_000]);
  assert.deepEqual(p.actions, ['alert_warning']);
  assert.equal(p.limits, undefined);
});

test('values out of range are refused with their place', async () => {
  const problems = await problemsOf(`processes:
  - name: c
    start_command: c
    limits: { memory_mb: 0, threads: 1.5 }
  - name: d
    start_command: d
    cooldown: 2d
    stop_timeout: 1h
`);
  assert.deepEqual(problems, [
    'processes[0].limits.memory_mb: expected a whole number from 1 to 16777216, got 0',
    'processes[0].limits.threads: expected a whole number from 1 to 4194304, got 1.5',
    'processes[1].cooldown: expected a duration from 0s to 1d, got "2d"',
    'processes[1].stop_timeout: expected a duration from 0s to 10m, got "1h"',
  ]);
});

test('how to find and start it: one way each, keys that need another, regex and paths checked', async () => {
  const problems = await problemsOf(`processes:
  - name: a
    pidfile: run/a.pid
    match: a
    start_command: a
    systemd_unit: a.service
  - name: b
    cmdline: "(unclosed"
    systemd_unit: b.service
    user: nobody
  - name: c
    start_command: c
    working_dir: srv
  - name: e
    auto_restart: false
`);
  const expect = [
    /^processes\[0\]: give one of pidfile, cmdline, match to find it \(got pidfile, match\)$/,
    /^processes\[0\]: give one of systemd_unit, start_command \(both given\)$/,
    /^processes\[0\]\.pidfile: expected an absolute path, got "run\/a.pid"$/,
    /^processes\[1\]\.cmdline: not a regular expression/,
    /^processes\[1\]\.user: only a start_command runs as a user/,
    /^processes\[2\]\.working_dir: expected an absolute path, got "srv"$/,
    /^processes\[3\]: needs systemd_unit or start_command to restart it$/,
  ];
  for (const re of expect) assert.ok(problems.some((p) => re.test(p)), `${re} in:\n${problems.join('\n')}`);
  assert.equal(problems.length, expect.length, problems.join('\n'));
});

test('cross-field mistakes are found once the shapes are right', async () => {
  const problems = await problemsOf(`processes:
  - name: c
    start_command: c
    limits: { cpu_duration: 1m }
    actions: [restart_proces]
  - name: c
    start_command: c
`);
  assert.ok(problems.some((p) => /^processes\[0\]\.limits\.cpu_duration: only acts with limits\.cpu_percent/.test(p)), problems.join('\n'));
  assert.ok(problems.some((p) => /^processes\[0\]\.actions\[0\]: unknown action "restart_proces" \(did you mean "restart_process"/.test(p)), problems.join('\n'));
  assert.ok(problems.some((p) => /^processes\[1\]\.name: "c" is listed twice/.test(p)), problems.join('\n'));
});
