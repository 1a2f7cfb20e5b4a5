/**
 * The idle footprint of PanicMode beside monit and fail2ban, in the same run on the same
 * host: each started with a minimal config of its own kind, left idle, sampled from
 * /proc/<pid> (RSS: VmRSS; CPU: utime+stime over the window, % of one core).
 *
 * - PanicMode: the embedded default config (`panicmode run` with no config), check_interval
 *   5s, run as `bin/panicmode.js` (the bundle, with the V8 flags of its shebang).
 *   Only the control socket is moved into the temp dir (as root it would be /run/panicmode).
 *   Its SSH follower reads the journal through a `journalctl` child on a host without
 *   /var/log/auth.log: that child is printed on its own line.
 * - monit (Debian `monit`): `set daemon 5`, the system's CPU/memory/load and the root
 *   filesystem checked, no HTTP interface.
 * - fail2ban (Debian `fail2ban`): `fail2ban-client -f start` with one sshd jail on a temp
 *   log (polling backend), the stock sshd filter read in place, the dummy action.
 *
 * Goal for PanicMode (issue 7): under 64 MB and under 0.1 % of one core. On a loaded
 * machine CPU shares rise for all three: compare them within one run.
 *
 *   npm run build && node --import tsx test/bench/footprint.bench.ts
 *   PANICMODE_FOOTPRINT_SECONDS=150 (default) · the first 10 s are start-up, not measured
 *   PANICMODE_FOOTPRINT_UNBUNDLED=1 adds the agent run from dist/src (tsc output, no bundle)
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfigYaml } from '../../src/config/default-config.js';

const seconds = Number(process.env.PANICMODE_FOOTPRINT_SECONDS ?? 150);
const SETTLE_MS = 10_000;
const CLK_TCK = 100;
const dir = mkdtempSync(join(tmpdir(), 'pm-footprint-'));

if (!existsSync('dist/bundle/main.js')) {
  console.error('footprint: no build; run `npm run build` first (npm run bench does)');
  process.exit(2);
}
const has = (bin: string) => spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0;

interface Subject {
  name: string;
  child: ChildProcess;
  /** the pid to measure (fail2ban's server may differ from the process we started) */
  pid: () => number | undefined;
  note?: string;
}
const subjects: Subject[] = [];

// PanicMode: the embedded default, control socket moved into the temp dir.
const pmDir = join(dir, 'panicmode');
mkdirSync(pmDir);
writeFileSync(join(pmDir, 'config.yaml'), `${defaultConfigYaml()}\nfirewall:\n  ctl_socket: ${join(pmDir, 'ctl.sock')}\n`);
// Run as the bin itself, so its shebang's V8 flags are the ones measured.
const pm = spawn('bin/panicmode.js', ['run', '--config', join(pmDir, 'config.yaml')], {
  env: { ...process.env, PANICMODE_STATE_DIR: pmDir, PANICMODE_LOG_LEVEL: 'warn', PANICMODE_FROM_SOURCE: '' },
  stdio: ['ignore', 'ignore', 'pipe'],
  detached: true,
});
let pmErr = '';
// Alerts it printed: on a busy machine its rules fire (CPU, load) and the agent is not idle.
const pmAlerts = new Map<string, number>();
pm.stderr!.on('data', (d) => {
  pmErr = (pmErr + d).slice(-4000);
  for (const [, line] of String(d).matchAll(/^\[(?:CRITICAL|WARNING|INFO)\] \S+ ([^:]+)/gm)) pmAlerts.set(line!, (pmAlerts.get(line!) ?? 0) + 1);
});
subjects.push({ name: 'panicmode', child: pm, pid: () => pm.pid });

// Optionally the same agent from the compiled modules without the bundle, to see what bundling saves.
if (process.env.PANICMODE_FOOTPRINT_UNBUNDLED === '1') {
  const uDir = join(dir, 'unbundled');
  mkdirSync(uDir);
  writeFileSync(join(uDir, 'config.yaml'), `${defaultConfigYaml()}\nfirewall:\n  ctl_socket: ${join(uDir, 'ctl.sock')}\n`);
  const boot = 'const { main } = await import(process.argv[1]); process.exitCode = await main(process.argv.slice(2));';
  const binFlags = readFileSync('bin/panicmode.js', 'utf8').split('\n')[0]!.split(/\s+/).filter((w) => w.startsWith('--'));
  const u = spawn(process.execPath, [...binFlags, '--input-type=module', '-e', boot, join(process.cwd(), 'dist/src/cli/main.js'), 'run', '--config', join(uDir, 'config.yaml')], {
    env: { ...process.env, PANICMODE_STATE_DIR: uDir, PANICMODE_LOG_LEVEL: 'warn' },
    stdio: 'ignore',
    detached: true,
  });
  subjects.push({ name: 'panicmode (not bundled)', child: u, pid: () => u.pid });
}

// monit
if (has('monit')) {
  const rc = join(dir, 'monitrc');
  writeFileSync(
    rc,
    [
      'set daemon 5',
      `set logfile ${join(dir, 'monit.log')}`,
      `set pidfile ${join(dir, 'monit.pid')}`,
      `set idfile ${join(dir, 'monit.id')}`,
      `set statefile ${join(dir, 'monit.state')}`,
      'check system localhost',
      '  if cpu usage > 90% for 6 cycles then alert',
      '  if memory usage > 95% then alert',
      '  if loadavg (1min) > 8 then alert',
      'check filesystem rootfs with path /',
      '  if space usage > 90% then alert',
      '',
    ].join('\n'),
  );
  chmodSync(rc, 0o600);
  const monit = spawn('monit', ['-I', '-c', rc], { stdio: 'ignore', detached: true });
  subjects.push({ name: 'monit', child: monit, pid: () => monit.pid });
} else console.log('monit: not installed (apt-get install -y monit); skipped');

// fail2ban: one sshd jail on a temp log; config dir with the stock filters read in place.
if (has('fail2ban-client') && existsSync('/etc/fail2ban/filter.d')) {
  const conf = join(dir, 'fail2ban');
  mkdirSync(conf);
  for (const d of ['filter.d', 'action.d']) symlinkSync(join('/etc/fail2ban', d), join(conf, d));
  for (const f of readdirSync('/etc/fail2ban').filter((f) => f.startsWith('paths-'))) symlinkSync(join('/etc/fail2ban', f), join(conf, f));
  const authLog = join(dir, 'auth.log');
  writeFileSync(authLog, '');
  writeFileSync(
    join(conf, 'fail2ban.conf'),
    `[Definition]\nloglevel = INFO\nlogtarget = ${join(dir, 'fail2ban.log')}\nsocket = ${join(dir, 'f2b.sock')}\npidfile = ${join(dir, 'f2b.pid')}\ndbfile = ${join(dir, 'f2b.sqlite3')}\ndbpurgeage = 1d\n`,
  );
  writeFileSync(
    join(conf, 'jail.conf'),
    `[INCLUDES]\nbefore = paths-debian.conf\n[DEFAULT]\nbackend = polling\nbantime = 10m\nfindtime = 10m\nmaxretry = 5\n[sshd]\nenabled = true\nfilter = sshd\nlogpath = ${authLog}\naction = dummy\n`,
  );
  const f2b = spawn('fail2ban-client', ['-c', conf, '-s', join(dir, 'f2b.sock'), '-p', join(dir, 'f2b.pid'), '-x', '-f', 'start'], {
    stdio: 'ignore',
    detached: true,
  });
  subjects.push({
    name: 'fail2ban',
    child: f2b,
    pid: () => {
      try {
        return Number(readFileSync(join(dir, 'f2b.pid'), 'utf8').trim()) || f2b.pid;
      } catch {
        return f2b.pid;
      }
    },
  });
} else console.log('fail2ban: not installed (apt-get install -y fail2ban); skipped');

const childrenOf = (pid: number): number[] => {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((t) =>
      readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number),
    );
  } catch {
    return [];
  }
};
const read = (pid: number) => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  return { comm, cpuTicks: Number(f[11]) + Number(f[12]), rssMb: rssKb / 1024 };
};

interface Series {
  t0: number;
  cpu0: number;
  t1: number;
  cpu1: number;
  rss: number[];
}
const series = new Map<string, Series>();
const sample = (label: string, pid: number | undefined) => {
  if (!pid) return;
  try {
    const r = read(pid);
    const now = performance.now();
    const s = series.get(label);
    if (!s) series.set(label, { t0: now, cpu0: r.cpuTicks, t1: now, cpu1: r.cpuTicks, rss: [r.rssMb] });
    else Object.assign(s, { t1: now, cpu1: r.cpuTicks }).rss.push(r.rssMb);
  } catch {
    /* exited */
  }
};
const sampleAll = () => {
  for (const s of subjects) {
    const pid = s.pid();
    sample(s.name, pid);
    if (s.name.startsWith('panicmode') && pid) for (const c of childrenOf(pid)) sample(`  └ its ${read(c).comm} child`, c);
  }
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
try {
  await sleep(SETTLE_MS);
  // Each must really be watching: a jail that failed to start would idle for free.
  const f2bLog = join(dir, 'fail2ban.log');
  if (existsSync(f2bLog) && !/Jail 'sshd' started/.test(readFileSync(f2bLog, 'utf8'))) console.log(`fail2ban: the sshd jail did not start:\n${readFileSync(f2bLog, 'utf8').slice(-1500)}`);
  sampleAll();
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    await sleep(Math.min(10_000, Math.max(0, end - Date.now())));
    sampleAll();
  }
} finally {
  for (const s of subjects) {
    if (s.child.exitCode === null && s.child.signalCode === null) {
      const exited = new Promise((r) => s.child.once('exit', r));
      try {
        process.kill(-s.child.pid!, 'SIGTERM'); // its own process group: the follower's journalctl too
      } catch {
        /* gone */
      }
      await Promise.race([exited, sleep(10_000)]);
    }
  }
  rmSync(dir, { recursive: true, force: true });
}

if (!series.has('panicmode') || series.get('panicmode')!.rss.length < 2) {
  console.error('panicmode exited early:\n' + pmErr);
  process.exit(1);
}
const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
console.log(`idle footprint over ${seconds} s (after ${SETTLE_MS / 1000} s of start-up), ${series.get('panicmode')!.rss.length} samples; load average at the end ${load}`);
const alerts = [...pmAlerts].map(([name, n]) => `${name} ×${n}`).join(', ');
console.log(`panicmode alerts during the run (rules firing on this host): ${alerts || 'none'}`);
console.log('process                      RSS start  RSS end    RSS peak   CPU (% of one core)');
for (const [label, s] of series) {
  const cpu = ((s.cpu1 - s.cpu0) / CLK_TCK / ((s.t1 - s.t0) / 1000)) * 100;
  const mb = (v: number) => `${v.toFixed(1).padStart(6)} MB`;
  console.log(`${label.padEnd(28)} ${mb(s.rss[0]!)} ${mb(s.rss.at(-1)!)} ${mb(Math.max(...s.rss))}   ${cpu.toFixed(3)} %`);
}
