/**
 * `panicmode exec` as a user runs it: the real command in a child process, incidents in
 * the real SQLite database of the default state dir or of --config, exit codes, argument
 * errors (exit 2 naming the argument), --help, and SIGTERM to panicmode itself.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { ExecExit } from '../../src/exec/exec-exit-codes.js';
import { ourCgroupsOf } from './exec-cgroups.js';
import { command as execCommand } from '../../src/cli/exec.js';
import { UsageError } from '../../src/errors.js';

const root = resolve(import.meta.dirname, '../..');
const bin = join(root, 'bin', 'panicmode.js');
let dir: string;
let env: NodeJS.ProcessEnv;

const run = (args: string[], extraEnv: NodeJS.ProcessEnv = {}) =>
  new Promise<{ code: number | null; stdout: string; stderr: string; pid: number }>((done) => {
    const child = execFile(process.execPath, [bin, ...args], { cwd: root, env: { ...env, ...extraEnv }, timeout: 60_000 }, (err, stdout, stderr) =>
      done({ code: child.exitCode ?? (err as { code?: number })?.code ?? null, stdout, stderr, pid: child.pid! }),
    );
  });

const alive = (pid: number) => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};
const pidsIn = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number) : []);
const incidents = (db: string) => {
  const sqlite = new BetterSqlite3(db, { readonly: true });
  try {
    return sqlite.prepare('SELECT name, severity, description, monitor_type FROM incidents ORDER BY id').all() as { name: string; severity: string; description: string; monitor_type: string }[];
  } finally {
    sqlite.close();
  }
};

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'pm-exec-cli-'));
  env = { ...process.env, PANICMODE_STATE_DIR: join(dir, 'state'), PANICMODE_FROM_SOURCE: '1', PANICMODE_CONFIG: '' };
});
after(() => {
  for (const pid of pidsIn(join(dir, 'pids'))) if (alive(pid)) process.kill(pid, 'SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('panicmode exec (command)', { timeout: 120_000 }, () => {
  it('a timeout: exit 124, the tree gone, a critical incident in the default state dir\'s database', async () => {
    const pids = join(dir, 'pids');
    const r = await run(['exec', '--timeout', '1s', '--', 'sh', '-c', `echo $$ >> ${pids}; sleep 30 & echo $! >> ${pids}; wait`]);
    assert.equal(r.code, ExecExit.timeout, r.stderr);
    assert.match(r.stderr, /killed: still running after the timeout of 1s/);
    assert.ok(pidsIn(pids).length >= 1);
    assert.deepEqual(pidsIn(pids).filter(alive), []);
    const rows = incidents(join(dir, 'state', 'incidents.db'));
    assert.deepEqual(rows.map((r) => [r.name, r.severity, r.monitor_type]), [['exec_timeout', 'critical', 'exec']]);
    assert.match(rows[0]!.description, /sleep 30/);
    assert.deepEqual(ourCgroupsOf(r.pid), []);
  });

  it('--config: the incident goes to its storage.incident_db; --max-procs breach exits 122', async () => {
    const db = join(dir, 'other', 'jobs.db');
    const config = join(dir, 'config.yaml');
    writeFileSync(config, `storage:\n  incident_db: ${db}\n`);
    const r = await run(['exec', '--config', config, '--max-procs', '3', '--timeout', '20s', '--', 'sh', '-c', 'for i in 1 2 3 4 5 6; do sleep 30 & done; wait']);
    assert.equal(r.code, ExecExit.procs, r.stderr);
    assert.deepEqual(incidents(db).map((r) => r.name), ['exec_procs']);
  });

  it("passes the job's exit code and leaves its own arguments alone (--help after --)", async () => {
    const r = await run(['exec', '--', 'sh', '-c', 'echo "$1"; exit 5', 'sh', '--help']);
    assert.equal(r.code, 5);
    assert.equal(r.stdout, '--help\n');
  });

  it('--help documents the exit codes', async () => {
    const r = await run(['exec', '--help']);
    assert.equal(r.code, 0);
    for (const code of [119, 120, 121, 122, 123, 124]) assert.match(r.stdout, new RegExp(`^  ${code} `, 'm'));
  });

  it('bad arguments: exit 2 naming the argument, nothing run', async () => {
    const r = await run(['exec', '--memory', 'lots', '--', 'sh', '-c', `touch ${join(dir, 'ran')}`]);
    assert.equal(r.code, 2);
    assert.equal(r.stderr, 'panicmode exec: --memory: expected a size like 512M or 2G, or a percentage like 50%, got "lots"\n');
    assert.ok(!existsSync(join(dir, 'ran')));
    // The rest in-process (same parser, same UsageError that main turns into exit 2).
    const cases: [string[], RegExp][] = [
      [['--cpu', '50', '--', 'true'], /--cpu: expected a percentage/],
      [['--max-procs', '0', '--', 'true'], /--max-procs: expected a positive integer/],
      [['--timeout', '10', '--', 'true'], /--timeout: .*bare number/],
      [['--cpu-window', 'x', '--', 'true'], /--cpu-window: /],
      [['--bogus', '--', 'true'], /unknown option --bogus/],
      [['true'], /the command goes after `--`/],
      [['--'], /no command after `--`/],
      [['--timeout', '1s', 'extra', '--', 'true'], /unexpected "extra" before `--`/],
    ];
    for (const [args, message] of cases) {
      await assert.rejects(execCommand.run(args), (err: Error) => err instanceof UsageError && message.test(err.message), args.join(' '));
    }
  });

  it('SIGTERM to panicmode exec kills the job\'s tree and exits 143', async () => {
    const pids = join(dir, 'pids-term');
    const child = spawn(process.execPath, [bin, 'exec', '--', 'sh', '-c', `echo $$ >> ${pids}; sleep 30 & echo $! >> ${pids}; wait`], { env, stdio: 'ignore' });
    try {
      while (pidsIn(pids).length < 2) await new Promise((r) => setTimeout(r, 50));
      child.kill('SIGTERM');
      const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
      assert.equal(code, 143);
      assert.deepEqual(pidsIn(pids).filter(alive), []);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
