/**
 * Issue 7 item 9: verify_pid trusted any process NAMED sshd. Real processes here: a copy
 * of `sleep` called `sshd`, run as root and as an unprivileged user (setpriv), in its own
 * process group, killed at the end whatever happens. The old check (`comm` is "sshd")
 * accepted both; only a root process running an sshd executable may vouch for a line.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHost } from '../../src/host/host.js';
import { PidVerifier } from '../../src/auth/pid-verifier.js';

let dir: string;
let fakeSshd: string;
const children: ChildProcess[] = [];
const canSetpriv = process.getuid?.() === 0 && spawnSync('setpriv', ['--version']).status === 0;

const startAs = (uid: number | null): ChildProcess => {
  const args = uid === null ? [fakeSshd, '300'] : ['setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', fakeSshd, '300'];
  const child = spawn(args[0]!, args.slice(1), { stdio: 'ignore', detached: true });
  children.push(child);
  return child;
};

/** Waits until the child runs the copy (after setpriv's exec). */
const running = async (host: ReturnType<typeof createHost>, pid: number): Promise<void> => {
  for (let i = 0; i < 500; i++) {
    try {
      if ((await host.readProcLink(pid, 'exe')) === fakeSshd) return;
    } catch {
      /* not there yet */
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`pid ${pid} never ran ${fakeSshd}`);
};

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'panicmode-pidverify-'));
  chmodSync(dir, 0o755);
  fakeSshd = join(dir, 'sshd');
  copyFileSync('/bin/sleep', fakeSshd);
  chmodSync(fakeSshd, 0o755);
});

after(() => {
  for (const c of children) {
    try {
      if (c.pid) process.kill(-c.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

test('a copy of sleep named sshd is no sshd, whoever runs it', { skip: !canSetpriv && 'needs root and setpriv' }, async () => {
  const host = createHost();
  const asRoot = startAs(null);
  const asNobody = startAs(65534);
  await running(host, asRoot.pid!);
  await running(host, asNobody.pid!);
  assert.equal((await host.readProc(asNobody.pid!, 'comm')).trim(), 'sshd', 'the name is sshd (what the old check trusted)');
  const verifier = new PidVerifier(host, { cacheMs: 0 });
  assert.equal(await verifier.isSshd(asRoot.pid), false, 'root, but not an sshd executable');
  assert.equal(await verifier.isSshd(asNobody.pid), false, 'unprivileged, not an sshd executable');
  // with this copy declared an sshd executable, the owner decides
  const trusting = new PidVerifier(host, { cacheMs: 0, executables: [fakeSshd] });
  assert.equal(await trusting.isSshd(asRoot.pid), true, 'root running a declared sshd executable');
  assert.equal(await trusting.isSshd(asNobody.pid), false, 'an unprivileged user running it');
  assert.equal(await trusting.isSshd(999_999_999), false, 'no such process');
});

test('through a proc root (sidecar /host/proc): exe link and status Uid read under it', async () => {
  const proc = join(dir, 'proc');
  const mk = (pid: number, exe: string, uid: number) => {
    mkdirSync(join(proc, String(pid)), { recursive: true });
    symlinkSync(exe, join(proc, String(pid), 'exe'));
    writeFileSync(join(proc, String(pid), 'status'), `Name:\tsshd\nUid:\t${uid}\t${uid}\t${uid}\t${uid}\n`);
  };
  mk(10, '/usr/sbin/sshd', 0);
  mk(11, '/usr/lib/openssh/sshd-session (deleted)', 0);
  mk(12, '/usr/sbin/sshd', 1000);
  mk(13, '/home/eve/sshd', 0);
  const v = new PidVerifier(createHost(proc));
  assert.deepEqual(await Promise.all([10, 11, 12, 13, 14].map((p) => v.isSshd(p))), [true, true, false, false, false]);
});
