/**
 * Host.exec (run-program.ts) on real processes: a command past its timeout is killed with
 * its whole process group — no child of it outlives the timeout — and its result says so.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHost } from '../../src/host/host.js';

const host = createHost();

/** Alive and not a zombie waiting to be reaped. */
const running = (pid: number) => {
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(host.procPath(pid, 'stat'), 'utf8'));
  } catch {
    return false;
  }
};

test('exec: at its timeout the command is killed with its children (none is left running under pid 1)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pm-exec-'));
  const pidFile = join(dir, 'child.pid');
  let child = 0;
  t.after(() => {
    if (child > 0 && running(child)) process.kill(child, 'SIGKILL'); // only on failure: ours, through sh
    rmSync(dir, { recursive: true, force: true });
  });
  const t0 = performance.now();
  const r = await host.exec('/bin/sh', ['-c', `sleep 30 & echo $! > ${pidFile}; echo started; wait`], { timeoutMs: 500 });
  const ms = performance.now() - t0;
  child = Number(readFileSync(pidFile, 'utf8'));
  assert.ok(ms < 10_000, `returned after ${ms} ms`);
  // the kill is sent before the result; the kernel may take a moment to tear the child down
  for (let i = 0; i < 200 && running(child); i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(running(child), false, `sleep ${child} outlived its command's timeout`);
  assert.equal(r.timedOut, true);
  assert.equal(r.signal, 'SIGKILL');
  assert.equal(r.stdout, 'started\n', 'what it printed before the timeout is kept');
});

test('exec: a command still running when PanicMode exits is killed with its group (it left the terminal\'s group: Ctrl-C no longer reaches it)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pm-exec-'));
  const pidFile = join(dir, 'child.pid');
  let child = 0;
  t.after(() => {
    if (child > 0 && running(child)) process.kill(child, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  const script = join(dir, 'exits.mts');
  writeFileSync(
    script,
    `import { createHost } from ${JSON.stringify(join(process.cwd(), 'src', 'host', 'host.ts'))};
import { existsSync } from 'node:fs';
void createHost().exec('/bin/sh', ['-c', 'sleep 30 & echo $! > ${pidFile}; wait'], { timeoutMs: 60_000 });
const poll = setInterval(() => { if (existsSync('${pidFile}')) { clearInterval(poll); process.exit(0); } }, 10);
`,
  );
  const r = spawnSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, r.stderr);
  child = Number(readFileSync(pidFile, 'utf8'));
  for (let i = 0; i < 200 && running(child); i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(running(child), false, `sleep ${child} outlived the PanicMode that started it`);
});

test('exec: a command that ends in time: its code and output; stdin is empty unless input is given', async () => {
  const r = await host.exec('/bin/sh', ['-c', 'cat; echo out; echo err >&2; exit 3'], { timeoutMs: 5000 });
  assert.deepEqual(r, { code: 3, signal: null, stdout: 'out\n', stderr: 'err\n', timedOut: false });
  const withInput = await host.exec('/bin/cat', [], { input: 'hello' });
  assert.equal(withInput.stdout, 'hello');
  await assert.rejects(host.exec('/no/such/program', []), { code: 'ENOENT' });
  assert.equal(existsSync('/no/such/program'), false);
});
