/**
 * End to end: `panicmode run` as a real child process, reading a fixture proc tree
 * that only has stat, meminfo and loadavg (stat advancing), detects what the fixture
 * shows, alerts on stderr, records the incident in SQLite (read back with
 * `panicmode incidents`), degrades the collectors without files quietly, reloads on
 * SIGHUP (rejecting a bad config), and exits 0 on SIGTERM.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const bin = join(process.cwd(), 'bin', 'panicmode.js');

/** /proc/stat with `busy` and `idle` jiffies on one core. */
const statText = (busy: number, idle: number) =>
  [
    `cpu  ${busy} 0 0 ${idle} 0 0 0 0 0 0`,
    `cpu0 ${busy} 0 0 ${idle} 0 0 0 0 0 0`,
    'intr 0',
    'ctxt 100',
    'btime 1700000000',
    'processes 1000',
    'procs_running 3',
    'procs_blocked 0',
  ].join('\n') + '\n';

const meminfo = [
  'MemTotal:        8000000 kB',
  'MemFree:          500000 kB',
  'MemAvailable:    1000000 kB',
  'Buffers:           10000 kB',
  'Cached:           400000 kB',
  'SwapTotal:       2000000 kB',
  'SwapFree:        2000000 kB',
].join('\n') + '\n';

const waitFor = async (pred: () => boolean, ms: number, what: string) => {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

test('run against a fixture proc tree: detects, alerts, records, reloads, stops', { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pm-e2e-'));
  const proc = join(dir, 'proc');
  mkdirSync(proc);
  writeFileSync(join(proc, 'meminfo'), meminfo);
  writeFileSync(join(proc, 'loadavg'), '0.50 0.40 0.30 3/250 4242\n');
  let busy = 1000;
  let idle = 1000;
  writeFileSync(join(proc, 'stat'), statText(busy, idle));
  // The fixture's CPU is 95% busy: every 100 ms, 95 busy and 5 idle jiffies more.
  const advance = setInterval(() => {
    busy += 95;
    idle += 5;
    writeFileSync(join(proc, 'stat'), statText(busy, idle));
  }, 100);
  const db = join(dir, 'incidents.db');
  const config = join(dir, 'config.yaml');
  const writeConfig = (cpuThreshold: string) =>
    writeFileSync(
      config,
      `performance:
  check_interval: 200ms
monitors:
  - name: fixture_cpu
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
storage:
  incident_db: ${db}
  state_file: ${join(dir, 'state.json')}
  snapshot_dir: ${join(dir, 'snapshots')}
  log_dir: ${join(dir, 'logs')}
firewall:
  ctl_socket: ${join(dir, 'ctl.sock')}
`,
    );
  writeConfig('80');

  let child: ChildProcess | undefined;
  t.after(() => {
    clearInterval(advance);
    if (child && child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  child = spawn(process.execPath, [bin, 'run', '--config', config], {
    env: { ...process.env, PANICMODE_PROC_ROOT: proc, PANICMODE_STATE_DIR: dir, PANICMODE_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  child.stdout!.on('data', (d) => (stderr += d));

  await waitFor(() => /CRITICAL.*fixture_cpu/i.test(stderr), 20_000, 'the CPU alert on stderr');
  await waitFor(() => /WARNING.*fixture_memory/i.test(stderr), 5_000, 'the memory alert on stderr');
  // Collectors with no files in the fixture degrade without flooding the log.
  const errorLines = stderr.split('\n').filter((l) => / ERROR /.test(l));
  assert.equal(errorLines.length, 0, `no ERROR lines expected, got:\n${errorLines.join('\n')}`);

  // A bad config on SIGHUP is rejected and the agent keeps running.
  writeConfig('"high"');
  child.kill('SIGHUP');
  await waitFor(() => /reload rejected/.test(stderr), 10_000, 'the rejected reload');
  assert.match(stderr, /monitors\[0\]\.threshold/);
  assert.equal(child.exitCode, null);

  const exited = new Promise<number | null>((r) => child!.on('exit', (code) => r(code)));
  child.kill('SIGTERM');
  assert.equal(await exited, 0);

  const out = execFileSync(process.execPath, [bin, 'incidents', '--db', db, '--json'], { encoding: 'utf8' });
  const rows = JSON.parse(out) as { name: string; severity: string; monitor_type: string; current_value: number }[];
  const cpu = rows.find((r) => r.name === 'fixture_cpu');
  assert.ok(cpu, `fixture_cpu recorded, got ${rows.map((r) => r.name).join(',')}`);
  assert.equal(cpu.severity, 'critical');
  assert.equal(cpu.monitor_type, 'cpu_usage');
  assert.ok(cpu.current_value > 80 && cpu.current_value <= 100, `cpu value ${cpu.current_value}`);
  assert.ok(rows.some((r) => r.name === 'fixture_memory' && Math.abs(r.current_value - 87.5) < 0.01));
});
