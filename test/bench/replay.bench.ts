/**
 * `replay` over a 1,000,000-line realistic auth log vs fail2ban-regex 1.0.2, both with
 * the full sshd filter (every pattern of every mode: ours `--mode aggressive` over
 * rules/filters/sshd.yaml, fail2ban's stock `sshd[mode=aggressive]`), on the same file,
 * in the same run. Prints lines/s for both, the ratio, and the CLI's start-up cost.
 *
 *   node --import tsx test/bench/replay.bench.ts [--lines N] [--runs N] [--f2b-lines N] [--no-fail2ban] [--no-build]
 *   (needs Debian fail2ban for the comparison: apt-get install -y fail2ban)
 *
 * Ours: in-process (replayLog) and through the CLI (`node bin/panicmode.js replay --log F
 * --json`, a fresh process each run: node start, module loading, JSON included), best and
 * median of `--runs` (3). The CLI runs from the build, as installed: the bench runs `npm
 * run build` first (`--no-build`: whatever bin/panicmode.js finds). Rates are wall-clock:
 * on a loaded machine, compare best with best.
 *
 * fail2ban-regex takes ~25-30 s on 1M lines; by default it runs on a 200,000-line
 * prefix of the same file and its rate is extrapolated (said so in the output).
 */
import { mkdtempSync, rmSync, statSync, createReadStream, createWriteStream, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { generateAuthLog } from './auth-log-generator.js';
import { replayLog } from '../../src/auth/replay-log.js';
import { defaultBruteForceRule } from '../../src/auth/brute-force-rule.js';
import { loadFilter } from '../../src/auth/filters/load-filter.js';

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : Number(process.argv[i + 1]);
};
const LINES = arg('lines', 1_000_000);
const F2B_LINES = Math.min(arg('f2b-lines', 200_000), LINES);
const RUNS = arg('runs', 3);
const withF2b = !process.argv.includes('--no-fail2ban');
const build = !process.argv.includes('--no-build');
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const fmtRate = (r: number) => `${Math.round(r).toLocaleString('en-US')} lines/s`;

const headFile = async (src: string, dst: string, n: number): Promise<void> => {
  const rl = createInterface({ input: createReadStream(src), crlfDelay: Infinity });
  const out = createWriteStream(dst);
  let i = 0;
  for await (const line of rl) {
    if (i++ >= n) break;
    if (!out.write(line + '\n')) await once(out, 'drain');
  }
  rl.close();
  out.end();
  await once(out, 'finish');
};

const runFail2ban = (file: string): Promise<{ seconds: number; out: string }> =>
  new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn('fail2ban-regex', [file, 'sshd[mode=aggressive]'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve({ seconds: (performance.now() - t0) / 1000, out }) : reject(new Error(`fail2ban-regex exited ${code}: ${out.slice(-500)}`))));
  });

const main = async () => {
  const dir = mkdtempSync(join(tmpdir(), 'panicmode-replay-bench-'));
  try {
    const log = join(dir, 'auth.log');
    let t0 = performance.now();
    await generateAuthLog(log, LINES);
    const bytes = statSync(log).size;
    console.log(`generated ${LINES.toLocaleString('en-US')} lines (${(bytes / 1e6).toFixed(1)} MB) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    // in-process: best of 3 and median (the first run also warms the JIT and the page cache)
    const inProcess: number[] = [];
    let result!: Awaited<ReturnType<typeof replayLog>>;
    for (let i = 0; i < RUNS; i++) {
      t0 = performance.now();
      result = await replayLog(log, [defaultBruteForceRule], { filter: loadFilter('sshd', 'aggressive') });
      inProcess.push((performance.now() - t0) / 1000);
    }
    const ours = LINES / Math.min(...inProcess);
    console.log(
      `replay (in-process, ${RUNS} runs): best ${fmtRate(ours)}, median ${fmtRate(LINES / median(inProcess))} (${inProcess.map((x) => x.toFixed(3)).join(' / ')} s); matched ${result.matched.toLocaleString('en-US')}, ${Object.keys(result.failures_by_ip).length} addresses, ${result.incidents.length} incidents`,
    );

    // the CLI end to end (process start, module loading, JSON output included), each run a fresh process
    const env = { ...process.env };
    delete env.PANICMODE_FROM_SOURCE;
    if (build) {
      t0 = performance.now();
      const b = spawnSync('npm', ['run', 'build'], { cwd: root, encoding: 'utf8' });
      if (b.status !== 0) throw new Error(`npm run build failed: ${b.stdout}${b.stderr}`);
      console.log(`built dist/ (npm run build) in ${((performance.now() - t0) / 1000).toFixed(1)} s: the CLI runs from the build`);
    } else console.log(`CLI runs ${existsSync(join(root, 'dist', 'src', 'cli', 'main.js')) ? 'from dist/ as found (--no-build)' : 'from the sources through tsx (no dist/)'}`);
    const viaCli: number[] = [];
    let cliLines = 0;
    for (let i = 0; i < RUNS; i++) {
      t0 = performance.now();
      const cli = spawnSync(process.execPath, [join(root, 'bin', 'panicmode.js'), 'replay', '--log', log, '--mode', 'aggressive', '--json'], { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024, env });
      viaCli.push((performance.now() - t0) / 1000);
      if (cli.status !== 0) throw new Error(`replay CLI failed: ${cli.stderr}`);
      cliLines = JSON.parse(cli.stdout).lines as number;
      if (cli.stdout.trim() !== JSON.stringify(result)) throw new Error('the CLI and the in-process replay disagree');
    }
    const cliRate = cliLines / Math.min(...viaCli);
    // start-up: the same command on a one-line log
    const tiny = join(dir, 'one.log');
    writeFileSync(tiny, 'x\n');
    const startups: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      t0 = performance.now();
      spawnSync(process.execPath, [join(root, 'bin', 'panicmode.js'), 'replay', '--log', tiny, '--mode', 'aggressive', '--json'], { env });
      startups.push((performance.now() - t0) / 1000);
    }
    console.log(`replay CLI start-up (one-line log): best ${Math.min(...startups).toFixed(3)} s, median ${median(startups).toFixed(3)} s`);
    console.log(
      `replay (CLI, process start included, ${RUNS} runs): best ${fmtRate(cliRate)}, median ${fmtRate(cliLines / median(viaCli))} (${viaCli.map((x) => x.toFixed(3)).join(' / ')} s)`,
    );

    if (!withF2b) return;
    if (spawnSync('fail2ban-regex', ['--version']).error) {
      console.log('fail2ban-regex not installed (apt-get install -y fail2ban): comparison skipped');
      return;
    }
    let f2bFile = log;
    if (F2B_LINES < LINES) {
      f2bFile = join(dir, 'auth-prefix.log');
      await headFile(log, f2bFile, F2B_LINES);
    }
    const f2b = await runFail2ban(f2bFile);
    const f2bRate = F2B_LINES / f2b.seconds;
    const matchedLine = /Lines: (\d+) lines, (\d+) ignored, (\d+) matched/.exec(f2b.out);
    console.log(
      `fail2ban-regex ${F2B_LINES < LINES ? `(on a ${F2B_LINES.toLocaleString('en-US')}-line prefix of the same file, rate extrapolated to 1M) ` : ''}: ${f2b.seconds.toFixed(1)} s, ${fmtRate(f2bRate)}${matchedLine ? `; matched ${matchedLine[3]}` : ''}`,
    );
    console.log(`ratio (in-process best / fail2ban-regex): ${(ours / f2bRate).toFixed(1)}×`);
    console.log(`ratio (CLI best / fail2ban-regex):        ${(cliRate / f2bRate).toFixed(1)}×`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

await main();
