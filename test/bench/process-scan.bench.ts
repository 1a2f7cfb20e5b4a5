/**
 * Full process-table scan with many processes (issue 10's figure: 5,000 processes, under
 * 70 ms, twice as fast as `ps`, without holding the event loop for the whole scan).
 *
 * Spawns PROCS (default 5,000) `sleep` processes in batches of 500, each batch one shell
 * in its own process group (the sleeps are its children, so they share the group), every
 * group SIGKILLed at the end, on an error and on SIGINT/SIGTERM; each sleep also ends by
 * itself after 10 minutes. Then, RUNS times each (median, p95), on the same table:
 *   - ours: readProcessTable (one reused buffer, bytes parsed in place, yields every slice),
 *     with the event loop's longest block during the scan (gaps between setImmediate ticks);
 *   - the previous readProcessTable: Host.readProcSync + a string split per pid, in one go;
 *   - `ps -eo pid,ppid,stat,rss,time,comm` (its wall time, output piped to us);
 *   - a naive Node scan of stat + status: readFileSync, and fs.promises.readFile (all at once,
 *     5 runs: seconds each).
 * Round-robin (each round runs every method once), so load from elsewhere weighs on all alike;
 * besides wall time, each prints its CPU time (ours and ps's), which other load hardly moves.
 *
 *   node --import tsx test/bench/process-scan.bench.ts
 *   PROCS=2000 RUNS=21 node --import tsx test/bench/process-scan.bench.ts
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { createHost } from '../../src/host/host.js';
import { readProcessTable } from '../../src/collectors/processes.js';

const PROCS = Number(process.env.PROCS ?? 5000);
const RUNS = Number(process.env.RUNS ?? 15);
const BATCH = 500;
const host = createHost();
const root = host.procPath();

// ─── the processes, and their end ───────────────────────────────────────────
const groups: ChildProcess[] = [];
const killAll = () => {
  for (const g of groups) {
    try {
      process.kill(-g.pid!, 'SIGKILL');
    } catch {
      // the group is gone already
    }
  }
};
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    killAll();
    process.exit(130);
  });
}

const spawnBatch = (n: number): Promise<void> =>
  new Promise((resolve, reject) => {
    const sh = spawn('sh', ['-c', `i=0; while [ $i -lt ${n} ]; do sleep 600 & i=$((i+1)); done; echo ready; wait`], {
      detached: true,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    groups.push(sh);
    sh.on('error', reject);
    sh.on('exit', (code) => reject(new Error(`a spawning shell exited (${code}) before its ${n} sleeps were up`)));
    sh.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) resolve();
    });
  });

const countPids = () => readdirSync(root).filter((e) => /^\d+$/.test(e)).length;

// ─── the scans ──────────────────────────────────────────────────────────────
const pidDirs = () => readdirSync(root).filter((e) => e.charCodeAt(0) >= 48 && e.charCodeAt(0) <= 57);

/** What readProcessTable did before: a string per file through Host.readProcSync, split into fields. */
const previousScan = () => {
  const out = new Map<number, { ppid: number; name: string; state: string; ticks: number; start: number; rss: number }>();
  for (const e of host.listProcSync()) {
    if (e.charCodeAt(0) < 48 || e.charCodeAt(0) > 57) continue;
    let text: string;
    try {
      text = host.readProcSync(e, 'stat');
    } catch {
      continue;
    }
    const open = text.indexOf('(');
    const close = text.lastIndexOf(')');
    const rest = text.slice(close + 2).split(' ');
    out.set(Number(text.slice(0, open)), {
      ppid: Number(rest[1]), name: text.slice(open + 1, close), state: rest[0],
      ticks: Number(rest[11]) + Number(rest[12]), start: Number(rest[19]), rss: Number(rest[21]),
    });
  }
  return out.size;
};

const uidOf = (status: string) => Number(/^Uid:\s+(\d+)/m.exec(status)?.[1] ?? -1);

const naiveSync = () => {
  let n = 0;
  for (const e of pidDirs()) {
    try {
      const stat = readFileSync(`${root}/${e}/stat`, 'utf8').split(' ');
      const uid = uidOf(readFileSync(`${root}/${e}/status`, 'utf8'));
      if (stat.length > 23 && uid >= 0) n++;
    } catch {
      // exited
    }
  }
  return n;
};

const naiveAsync = async () => {
  const rows = await Promise.all(
    pidDirs().map(async (e) => {
      try {
        const [stat, status] = await Promise.all([readFile(`${root}/${e}/stat`, 'utf8'), readFile(`${root}/${e}/status`, 'utf8')]);
        return stat.split(' ').length > 23 && uidOf(status) >= 0 ? 1 : 0;
      } catch {
        return 0;
      }
    }),
  );
  return rows.reduce<number>((a, b) => a + b, 0);
};

const ps = () => {
  const r = spawnSync('ps', ['-eo', 'pid,ppid,stat,rss,time,comm'], { maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`ps exited ${r.status}: ${r.stderr}`);
  return r.stdout.toString().split('\n').length - 2;
};

/** Runs `scan` while a setImmediate ticker measures the longest gap the event loop had between two turns. */
/**
 * CPU time used so far by this process and its reaped children (ps), in ms: unlike wall
 * time, it hardly depends on what else the machine runs. Children's time comes from
 * /proc/self/stat's cutime + cstime, in 10 ms ticks.
 */
const cpuMs = () => {
  const own = process.cpuUsage();
  const stat = readFileSync(`${root}/self/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (own.user + own.system) / 1000 + (Number(f[13]) + Number(f[14])) * 10;
};

const withLongestBlock = async <T>(scan: () => T | Promise<T>): Promise<{ result: T; ms: number; cpuMs: number; blockMs: number }> => {
  let running = true;
  let last = performance.now();
  let longest = 0;
  const tick = () => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
    if (running) setImmediate(tick);
  };
  setImmediate(tick);
  await new Promise<void>((r) => setImmediate(r)); // the ticker is running
  last = performance.now();
  const cpu0 = cpuMs();
  const t0 = performance.now();
  const result = await scan();
  const ms = performance.now() - t0;
  const cpu = cpuMs() - cpu0;
  const now = performance.now();
  longest = Math.max(longest, now - last); // the stretch up to the scan's end counts too
  running = false;
  await new Promise<void>((r) => setImmediate(r));
  return { result, ms, cpuMs: cpu, blockMs: longest };
};

const stats = (xs: number[]) => {
  const s = xs.slice().sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], p95: s[Math.min(s.length - 1, Math.ceil(s.length * 0.95) - 1)] };
};
const fmt = (xs: number[]) => {
  const { median, p95 } = stats(xs);
  return `median ${median.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms`;
};

interface Method {
  label: string;
  scan: () => unknown;
  /** the slow ones run fewer rounds */
  runs: number;
  times: number[];
  cpu: number[];
  blocks: number[];
  seen: number;
}
const method = (label: string, scan: () => unknown, runs = RUNS): Method => ({ label, scan, runs, times: [], cpu: [], blocks: [], seen: 0 });

/**
 * Round-robin: each round runs every method once, so a load that comes and goes (other
 * work on the machine) weighs on all of them alike. One warm-up round first.
 */
const measureAll = async (methods: Method[]) => {
  for (const m of methods) await withLongestBlock(m.scan);
  for (let round = 0; round < RUNS; round++) {
    for (const m of methods) {
      if (round >= m.runs) continue;
      const r = await withLongestBlock(m.scan);
      m.times.push(r.ms);
      m.cpu.push(r.cpuMs);
      m.blocks.push(r.blockMs);
      m.seen = r.result as number;
    }
  }
  for (const m of methods) {
    console.log(
      `${m.label.padEnd(50)} wall ${fmt(m.times)}; CPU median ${stats(m.cpu).median.toFixed(1)} ms; ` +
        `longest event-loop block ${fmt(m.blocks)} (${m.seen} processes, ${m.times.length} runs)`,
    );
  }
};

/** What bounds how many processes we may spawn: the per-user limit and the kernel's pid range. */
const limits = () => {
  const maxProcs = /^Max processes\s+(\S+)/m.exec(readFileSync(`${root}/self/limits`, 'utf8'))?.[1] ?? '?';
  return `ulimit -u ${maxProcs}, pid_max ${readFileSync(`${root}/sys/kernel/pid_max`, 'utf8').trim()}`;
};

try {
  console.log(`limits: ${limits()}`);
  const before = countPids();
  const t0 = performance.now();
  for (let left = PROCS; left > 0; left -= BATCH) await spawnBatch(Math.min(BATCH, left));
  console.log(
    `spawned ${PROCS} sleep processes in ${groups.length} process groups in ${((performance.now() - t0) / 1000).toFixed(1)} s; ` +
      `the table holds ${countPids()} processes (${before} before); load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`,
  );
  const ours = method('ours: readProcessTable', async () => (await readProcessTable(host)).processes.size);
  const psRun = method('ps -eo pid,ppid,stat,rss,time,comm', ps);
  await measureAll([
    ours,
    method('previous readProcessTable (readProcSync + split)', previousScan),
    psRun,
    method('naive Node scan stat+status, readFileSync', naiveSync),
    method('naive Node scan stat+status, fs.promises', naiveAsync, Math.min(RUNS, 5)),
  ]);
  const ratio = (f: (m: Method) => number[]) => (stats(f(psRun)).median / stats(f(ours)).median).toFixed(1);
  console.log(
    `ours vs ps: ${ratio((m) => m.times)}× faster in wall time, ${ratio((m) => m.cpu)}× in CPU time ` +
      `(target: under 70 ms and at least 2×); load after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`,
  );
} finally {
  killAll();
}
