/**
 * Every "Next:" hint that tells the operator to run `panicmode <command>` names a command
 * the CLI has (an alert once sent them to `panicmode top`, which does not exist).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { renderAlert } from '../../src/alerts/format.js';
import type { Incident } from '../../src/model/incident.js';

const monitorTypes = [
  'cpu_usage', 'memory_usage', 'swap_usage', 'disk_usage', 'disk_io', 'connection_rate', 'auth_failures', 'process_count',
  'load_average', 'file_monitor', 'custom', 'anomaly:cpu_spike', 'anomaly:memory_spike', 'anomaly:connection_spike',
  'anomaly:suspicious_ips', 'anomaly:high_load', 'anomaly:something_new', 'self_check:memory', 'self_check:open_fds',
  'self_check:metrics_stalled', 'unknown_type',
];

test('alert hints only name panicmode commands that exist', () => {
  const help = execFileSync(process.execPath, ['bin/panicmode.js', '--help'], { encoding: 'utf8', env: process.env });
  const commands = new Set([...help.matchAll(/^ {2}([a-z][a-z-]*) {2,}/gm)].map((m) => m[1]));
  assert.ok(commands.has('ctl') && commands.has('incidents'), `the help lists commands: ${[...commands].join(',')}`);
  for (const monitorType of monitorTypes) {
    const incident: Incident = {
      key: monitorType, name: 'n', severity: 'warning', description: 'd', actions: [], ts: 0, status: 'firing', count: 1,
      metadata: { monitorType, threshold: 1, currentValue: 2, details: '' },
    };
    const next = /^Next: (.*)$/m.exec(renderAlert(incident, { host: 'h' }).text)?.[1] ?? '';
    for (const [, command] of next.matchAll(/panicmode ([a-z][a-z-]*)/g)) {
      assert.ok(commands.has(command!), `${monitorType}: hint "${next}" names "panicmode ${command}", which the CLI does not have`);
    }
  }
});
