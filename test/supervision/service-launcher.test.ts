/**
 * Starting and stopping real services (src/supervision/service-launcher.ts): a
 * start_command runs as its user, in its directory, with its environment, in a process
 * group of its own; stopping sends SIGTERM to the group, SIGKILL after stop_timeout to
 * what ignores it, and leaves nothing of the group behind. Every process is killed in
 * teardown by its marker, whatever happened.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readlinkSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asyncScheduler } from 'rxjs';
import { isRight } from 'fp-ts/lib/Either.js';
import { SupervisedProcess, type SupervisedProcessConfig } from '../../src/config/schema.js';
import { createHost } from '../../src/host/host.js';
import { lookupUser, startService, stopInstance } from '../../src/supervision/service-launcher.js';
import { findByMarker, runningPid } from '../../src/supervision/service-finder.js';
import { waitFor } from '../e2e/agent-process.js';
import { groupOf, killServices, servicePids, stateOf } from './service-processes.js';

const tag = `${process.pid}`;
const names: string[] = [];
const dir = mkdtempSync(join(tmpdir(), 'pm-launcher-'));
after(() => {
  killServices(names);
  rmSync(dir, { recursive: true, force: true });
});
const host = createHost();
const entry = (e: Record<string, unknown>): SupervisedProcessConfig => {
  const r = SupervisedProcess.decode(e);
  if (!isRight(r)) throw new Error('bad entry');
  names.push(r.right.name);
  return r.right;
};

test('lookupUser: a name or a uid from /etc/passwd text', () => {
  const passwd = 'root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n';
  assert.deepEqual(lookupUser(passwd, 'nobody'), { uid: 65534, gid: 65534 });
  assert.deepEqual(lookupUser(passwd, '0'), { uid: 0, gid: 0 });
  assert.deepEqual(lookupUser(passwd, '1234'), { uid: 1234, gid: 1234 });
  assert.equal(lookupUser(passwd, 'ghost'), null);
});

test('a start_command runs as its user, in its directory, with its environment and the marker, leading its own group', async () => {
  const e = entry({ name: `as-nobody-${tag}`, start_command: 'exec sleep 295', user: 'nobody', working_dir: '/tmp', env: { PM_TEST_MODE: 'on' } });
  const { pid } = await startService(e, host, 5000);
  assert.ok(pid);
  await waitFor(() => readFileSync(`/proc/${pid}/cmdline`, 'utf8') === 'sleep\x00295\x00', 10_000, 'the exec');
  assert.match(readFileSync(`/proc/${pid}/status`, 'utf8'), /^Uid:\s+65534\s/m);
  assert.equal(readlinkSync(`/proc/${pid}/cwd`), '/tmp');
  const env = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
  assert.ok(env.includes('PM_TEST_MODE=on'));
  assert.ok(env.includes(`PANICMODE_SERVICE=${e.name}`));
  assert.equal(groupOf(pid!), pid, 'its own process group');
  const s = runningPid(host, pid!)!;
  await stopInstance(host, { pid: s.pid, startTicks: s.startTicks }, 2000, asyncScheduler);
  assert.equal(stateOf(pid!), null);
});

test('an unknown user is an ActionError, nothing started', async () => {
  const e = entry({ name: `ghost-${tag}`, start_command: 'exec sleep 294', user: 'no-such-user-pm' });
  await assert.rejects(startService(e, host, 5000), (err: Error & { code?: string }) => err.code === 'PANICMODE_ERR_ACTION_FAILED' && /no user "no-such-user-pm"/.test(err.message));
  assert.deepEqual(servicePids([e.name]), []);
});

test('stop: SIGTERM to the group; what ignores it is killed after stop_timeout, children included', async () => {
  // a shell that ignores TERM, with two children that ignore it too
  const e = entry({ name: `stubborn-${tag}`, start_command: "trap '' TERM; sleep 293 & sleep 293 & wait; wait" });
  const { pid } = await startService(e, host, 5000);
  await waitFor(() => servicePids([e.name]).length === 3, 10_000, 'the service and its two children');
  // an agent that lost its record finds the service itself by its marker, not a child
  assert.equal((await findByMarker(host, e.name))?.pid, pid);
  const s = runningPid(host, pid!)!;
  const t0 = Date.now();
  await stopInstance(host, { pid: s.pid, startTicks: s.startTicks }, 700, asyncScheduler);
  const took = Date.now() - t0;
  assert.ok(took >= 600, `waited for stop_timeout before SIGKILL (${took} ms)`);
  await waitFor(() => servicePids([e.name]).length === 0, 5000, 'nothing of the group left');
});

test('stop: a service that exits on SIGTERM is not waited for', async () => {
  const e = entry({ name: `polite-${tag}`, start_command: 'exec sleep 292' });
  const { pid } = await startService(e, host, 5000);
  await waitFor(() => runningPid(host, pid!) !== null, 5000, 'the start');
  const s = runningPid(host, pid!)!;
  const t0 = Date.now();
  await stopInstance(host, { pid: s.pid, startTicks: s.startTicks }, 10_000, asyncScheduler);
  assert.ok(Date.now() - t0 < 5000);
  assert.equal(stateOf(pid!), null);
});

test('a systemd_unit is handed to `systemctl restart <unit>`; a failure is an ActionError with systemctl’s own words', async () => {
  // systemd does not run here: a stand-in systemctl on PATH writes down how it was called
  // and answers as systemctl does for a unit it does not know (exit 5, "Unit … not found.")
  const bin = mkdtempSync(join(tmpdir(), 'pm-systemctl-'));
  const calls = join(bin, 'calls');
  writeFileSync(
    join(bin, 'systemctl'),
    `#!/bin/sh\necho "$@" >> ${calls}\nif [ "$2" = missing.service ]; then echo "Failed to restart missing.service: Unit missing.service not found." >&2; exit 5; fi\nexit 0\n`,
    { mode: 0o755 },
  );
  const path = process.env.PATH;
  process.env.PATH = `${bin}:${path}`;
  try {
    const started = await startService(entry({ name: `svc-unit-${tag}`, systemd_unit: 'web.service' }), host, 5_000);
    assert.equal(started.pid, null, 'systemd starts it: no pid of ours');
    await assert.rejects(startService(entry({ name: `svc-missing-${tag}`, systemd_unit: 'missing.service' }), host, 5_000), (err: Error) => {
      assert.equal(err.name, 'ActionError');
      assert.match(err.message, /systemctl restart missing\.service failed \(5\): Failed to restart missing\.service: Unit missing\.service not found\./);
      return true;
    });
    assert.deepEqual(readFileSync(calls, 'utf8').trim().split('\n'), ['restart web.service', 'restart missing.service']);
  } finally {
    process.env.PATH = path;
    rmSync(bin, { recursive: true, force: true });
  }
});
