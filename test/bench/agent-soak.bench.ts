/**
 * The agent's own footprint: `panicmode run` with the full example config at
 * check_interval 5s, sampled from /proc/<pid> every 10 s for 10 minutes (set
 * PANICMODE_SOAK_SECONDS to shorten). Prints average CPU % of one core, RSS at start,
 * end and peak, and the RSS trend over the second half (growth = a leak).
 * Targets: under 0.5 % of one core on average, RSS under 80 MB and not growing.
 *
 * The example's remote integrations are disabled in the copy it runs (this machine has
 * no network beyond loopback); everything else — every monitor, the anomaly detector,
 * the SSH follower, the firewall in dry-run, the outbox, console and file channels — runs.
 *
 *   npm run build && node --import tsx test/bench/agent-soak.bench.ts
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';

const seconds = Number(process.env.PANICMODE_SOAK_SECONDS ?? 600);
const dir = mkdtempSync(join(tmpdir(), 'pm-soak-'));
const config = parse(readFileSync('examples/config.yaml', 'utf8')) as Record<string, any>;
config.performance = { ...config.performance, check_interval: process.env.PANICMODE_SOAK_INTERVAL ?? '5s' };
config.dry_run = true;
for (const [name, integration] of Object.entries<any>(config.integrations ?? {})) {
  if (['console', 'file'].includes(name)) continue;
  integration.enabled = false;
  // A disabled integration's secrets are still resolved at load: give them inert values.
  for (const [k, v] of Object.entries(integration)) if (typeof v === 'string' && v.includes('${')) integration[k] = 'https://127.0.0.1:9/disabled';
}
for (const routes of Object.values<any>(config.alerts ?? {})) {
  for (const r of routes ?? []) for (const [k, v] of Object.entries(r)) if (typeof v === 'string' && v.includes('${')) r[k] = 'inert';
}
if (config.integrations?.file) config.integrations.file.path = join(dir, 'alerts.jsonl');
config.storage = { incident_db: join(dir, 'incidents.db'), snapshot_dir: join(dir, 'snap'), log_dir: join(dir, 'log'), state_file: join(dir, 'state.json') };
config.firewall = { ...config.firewall, ctl_socket: join(dir, 'ctl.sock') };
if (config.http_api) config.http_api.enabled = false;
const configPath = join(dir, 'config.yaml');
writeFileSync(configPath, stringify(config));

const built = existsSync('dist/bundle/main.js');
// As the bin itself: its shebang's V8 flags are part of what is measured.
const child = spawn('bin/panicmode.js', ['run', '--config', configPath], {
  env: { ...process.env, PANICMODE_STATE_DIR: dir, PANICMODE_LOG_LEVEL: 'warn' },
  stdio: ['ignore', 'ignore', 'pipe'],
});
let stderr = '';
child.stderr!.on('data', (d) => (stderr = (stderr + d).slice(-4000)));

const CLK_TCK = 100;
const sample = () => {
  const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuTicks = Number(f[11]) + Number(f[12]);
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]);
  return { t: performance.now(), cpuTicks, rssMb: rssKb / 1024 };
};

const samples: ReturnType<typeof sample>[] = [];
await new Promise((r) => setTimeout(r, 5000)); // start-up (module loading, migrations) is not the steady state
const first = sample();
samples.push(first);
const end = Date.now() + seconds * 1000;
while (Date.now() < end && child.exitCode === null) {
  await new Promise((r) => setTimeout(r, Math.min(10_000, Math.max(0, end - Date.now()))));
  if (child.exitCode !== null) break;
  samples.push(sample());
}
if (child.exitCode === null && child.signalCode === null) {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}
rmSync(dir, { recursive: true, force: true });
if (samples.length < 2) {
  console.error('agent exited early:\n' + stderr);
  process.exit(1);
}
const last = samples.at(-1)!;
const cpuPct = (((last.cpuTicks - first.cpuTicks) / CLK_TCK) * 1000 * 100) / (last.t - first.t);
const half = samples.slice(Math.floor(samples.length / 2));
const slope = half.length > 1 ? ((half.at(-1)!.rssMb - half[0]!.rssMb) / ((half.at(-1)!.t - half[0]!.t) / 60_000)) : 0;
console.log(
  `agent soak (${built ? 'built' : 'tsx'}; ${Math.round((last.t - first.t) / 1000)} s, ${samples.length} samples): ` +
    `CPU ${cpuPct.toFixed(3)} % of one core; RSS start ${first.rssMb.toFixed(1)} MB, end ${last.rssMb.toFixed(1)} MB, ` +
    `peak ${Math.max(...samples.map((s) => s.rssMb)).toFixed(1)} MB; second-half trend ${slope >= 0 ? '+' : ''}${slope.toFixed(3)} MB/min`,
);
