/**
 * A first run is quiet when nothing is wrong, and PanicMode's self-check speaks when
 * something about the agent itself is: the real agent as a child process, run from a
 * fresh build and bundle of these sources (what `npm start` and the published package
 * run; tsx's compiler in the process would add ~60 MB that no deployment carries).
 *
 * - `examples/minimal.yaml` (no `performance:` at all) and a Rust-era config
 *   (`memory_limit_mb: 50`, the PanicMode reference default) on this host for 25 s:
 *   no self-check alert of any kind (once: CRITICAL "PanicMode memory" within 15 s),
 *   and the Rust one is told at start-up that 50 MB was raised to the Node floor.
 * - A fixture proc root whose `self/fd` holds 90 descriptors of a 100 limit: the
 *   open-files self-incident reaches the console channel as CRITICAL.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { busyProcTree, storageYaml, waitFor, type AgentProcess } from './agent-process.js';

// Inside the repo (ignored by git) so the build resolves node_modules.
let build = '';
before(() => {
  mkdirSync(join(process.cwd(), 'tmp'), { recursive: true });
  build = mkdtempSync(join(process.cwd(), 'tmp', 'first-run-build-'));
  execFileSync(process.execPath, [join('node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json', '--outDir', build], { stdio: 'inherit' });
  execFileSync(process.execPath, [join('scripts', 'bundle.mjs'), build], { stdio: 'inherit' });
});
after(() => rmSync(build, { recursive: true, force: true }));

/** The V8 flags of the bin's shebang (`#!/usr/bin/env -S node <flags>`). */
const binFlags = readFileSync('bin/panicmode.js', 'utf8').split('\n')[0]!.split(/\s+/).filter((w) => w.startsWith('--'));

/** The bundled agent, run the way bin/panicmode.js runs it (its shebang's V8 flags included). */
const startBuilt = (config: string, env: NodeJS.ProcessEnv): AgentProcess => {
  const main = join(build, 'bundle', 'main.js');
  const boot = 'const { main } = await import(process.argv[1]); process.exitCode = await main(process.argv.slice(2));';
  const child = spawn(process.execPath, [...binFlags, '--input-type=module', '-e', boot, main, 'run', '--config', config], {
    env: { ...env, PANICMODE_FROM_SOURCE: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  return {
    child,
    output: () => out,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
        child.once('exit', (code) => resolve(code));
        child.kill('SIGTERM');
      }),
  };
};

test('the build and the bundle find the shipped log filters (an SSH monitor in the config)', () => {
  // examples/minimal.yaml's SSH monitor uses the shipped sshd filter (rules/filters/sshd.yaml).
  for (const entry of [join(build, 'src', 'cli', 'main.js'), join(build, 'bundle', 'main.js')]) {
    const boot = 'const { main } = await import(process.argv[1]); process.exitCode = await main(process.argv.slice(2));';
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', boot, entry, 'check-config', 'examples/minimal.yaml'], { encoding: 'utf8' });
    assert.equal(r.status, 0, `${entry}: ${r.stdout}${r.stderr}`);
  }
});

const selfAlert = /\[(CRITICAL|WARNING|INFO)\][^\n]*(self-check|PanicMode)/;

test('a first run is quiet: examples/minimal.yaml and a Rust-era memory_limit_mb of 50 raise no self-check alert', { timeout: 90_000 }, async (t) => {
  const dirs = [mkdtempSync(join(tmpdir(), 'pm-quiet-min-')), mkdtempSync(join(tmpdir(), 'pm-quiet-rust-'))];
  const agents: AgentProcess[] = [];
  t.after(async () => {
    await Promise.all(agents.map((a) => a.stop()));
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  // minimal.yaml as a user has it; only its state kept in the temp dir.
  const minimal = parse(readFileSync('examples/minimal.yaml', 'utf8')) as Record<string, unknown>;
  minimal.firewall = { ctl_socket: join(dirs[0]!, 'ctl.sock') };
  writeFileSync(join(dirs[0]!, 'config.yaml'), stringify(minimal));
  // The performance section of a config written for the Rust PanicMode (its reference values).
  writeFileSync(
    join(dirs[1]!, 'config.yaml'),
    `performance:\n  cpu_limit: 5.0\n  memory_limit_mb: 50\n  check_interval: 1s\n${storageYaml(dirs[1]!)}firewall:\n  ctl_socket: ${join(dirs[1]!, 'ctl.sock')}\n`,
  );
  for (const d of dirs) agents.push(startBuilt(join(d, 'config.yaml'), { ...process.env, PANICMODE_STATE_DIR: d, PANICMODE_LOG_LEVEL: 'info' }));
  const [min, rust] = agents as [AgentProcess, AgentProcess];
  for (const a of agents) await waitFor(() => /watching/.test(a.output()), 20_000, 'the agent watching', a.output);
  // The old default paged at 15 s (three 5 s ticks over 50 MB); 25 s leaves a margin.
  const quietUntil = Date.now() + 25_000;
  await waitFor(() => Date.now() > quietUntil || agents.some((a) => selfAlert.test(a.output())), 30_000, 'the quiet period');
  assert.doesNotMatch(min.output(), selfAlert, 'examples/minimal.yaml');
  assert.doesNotMatch(rust.output(), selfAlert, 'a Rust-era config');
  assert.match(rust.output(), /memory_limit_mb: 50 MB is below the 96 MB a Node\.js agent needs/);
  assert.doesNotMatch(min.output(), /memory_limit_mb/, 'no note when the config says nothing about memory');
  for (const a of agents) assert.equal(await a.stop(), 0);
});

test('open descriptors near the limit reach the operator as a CRITICAL self-incident', { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pm-fds-'));
  const proc = busyProcTree(dir, 5);
  mkdirSync(join(proc.root, 'self', 'fd'), { recursive: true });
  for (let i = 0; i < 91; i++) writeFileSync(join(proc.root, 'self', 'fd', String(i)), '');
  writeFileSync(join(proc.root, 'self', 'limits'), 'Limit Soft Hard Units\nMax open files            100                  100                  files     \n');
  writeFileSync(
    join(dir, 'config.yaml'),
    `performance:\n  check_interval: 200ms\nalerts:\n  critical:\n    - channel: console\n${storageYaml(dir)}firewall:\n  ctl_socket: ${join(dir, 'ctl.sock')}\n`,
  );
  const agent = startBuilt(join(dir, 'config.yaml'), { ...process.env, PANICMODE_PROC_ROOT: proc.root, PANICMODE_STATE_DIR: dir, PANICMODE_LOG_LEVEL: 'info' });
  t.after(async () => {
    proc.stop();
    await agent.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  await waitFor(() => /\[CRITICAL\][^\n]*PanicMode open files/.test(agent.output()), 20_000, 'the open-files alert', agent.output);
  assert.match(agent.output(), /holds 90% of its open-file limit/);
  assert.equal(await agent.stop(), 0);
});
