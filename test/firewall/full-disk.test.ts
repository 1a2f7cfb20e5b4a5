/**
 * A full state disk never stops blocking (issue 7, item 4), with the real agent as a child
 * process: its state directory is a 2 MB tmpfs the test mounts and fills to the last
 * byte, then 50 addresses attack through a real auth log. Every one is blocked by the
 * script backend, none is "skipped: circuit open", the operator gets a console alert that
 * bans are not being recorded, each ban is lifted on time though never recorded, and once
 * space is freed the pending rows are written. Skipped, saying why, where mounting is not
 * permitted; the agent is stopped and the tmpfs unmounted whatever happens.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, chmodSync, closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, rmdirSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { startAgent, storageYaml, waitFor, type AgentProcess } from '../e2e/agent-process.js';

const BAN_S = 15;
const attackers = Array.from({ length: 50 }, (_, i) => `203.0.113.${i + 1}`);

const failures = (ip: string, n: number): string =>
  Array.from({ length: n }, (_, i) => `Nov 22 00:10:0${i} web-1 sshd[${4000 + i}]: Failed password for invalid user admin${i} from ${ip} port ${50000 + i} ssh2\n`).join('');

/** Mounts a tmpfs of `size` on a fresh directory; a string says why it cannot. */
const mountTmpfs = (size: string): { path: string; unmount(): void } | string => {
  const path = mkdtempSync(join(tmpdir(), 'pm-full-disk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', path], { stdio: 'pipe' });
  } catch (err) {
    rmdirSync(path);
    return `mounting a tmpfs is not permitted here (${String((err as { stderr?: Buffer }).stderr ?? err).trim()}): the full-disk test needs root`;
  }
  return {
    path,
    unmount: () => {
      execFileSync('umount', ['-l', path], { stdio: 'pipe' });
      rmdirSync(path);
    },
  };
};

/** Writes a filler file until the filesystem says ENOSPC. */
const fill = (file: string): void => {
  const fd = openSync(file, 'w');
  try {
    for (const size of [65_536, 4096, 1]) {
      try {
        for (;;) writeSync(fd, Buffer.alloc(size));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
      }
    }
  } finally {
    closeSync(fd);
  }
};

test('a full state disk: all 50 attackers blocked, no circuit opened, the operator alerted, bans lifted on time, rows written once there is room', { timeout: 120_000 }, async (t) => {
  const disk = mountTmpfs('2m');
  if (typeof disk === 'string') return t.skip(disk);
  const work = mkdtempSync(join(tmpdir(), 'pm-full-disk-work-'));
  let agent: AgentProcess | undefined;
  try {
    // Everything the test reads lives outside the full disk: the log, the scripts and what they record.
    const calls = join(work, 'calls.log');
    for (const verb of ['block', 'unblock']) {
      writeFileSync(join(work, `${verb}.sh`), `#!/bin/sh\necho "${verb} $1 $(date +%s.%N)" >> ${calls}\n`);
      chmodSync(join(work, `${verb}.sh`), 0o755);
    }
    const authLog = join(work, 'auth.log');
    writeFileSync(authLog, '');
    const socket = join(work, 'ctl.sock');
    const config = join(work, 'config.yaml');
    writeFileSync(
      config,
      `performance:
  check_interval: 1s
monitors:
  - name: ssh_brute_force
    type: auth_failures
    threshold: 3
    window: 60s
    paths: [${authLog}]
    actions: [block_ip, alert_critical]
anomaly:
  enabled: false
alerts:
  critical:
    - channel: console
${storageYaml(disk.path)}firewall:
  ctl_socket: ${socket}
  ban_duration: ${BAN_S}s
  backend: script
  block_script: ${join(work, 'block.sh')}
  unblock_script: ${join(work, 'unblock.sh')}
`,
    );
    const recorded = (verb: string) =>
      (existsSync(calls) ? readFileSync(calls, 'utf8') : '')
        .split('\n')
        .filter((l) => l.startsWith(`${verb} `))
        .map((l) => l.split(' '))
        .map(([, ip, at]) => ({ ip: ip!, at: Number(at) }));

    agent = startAgent(config, { ...process.env, PANICMODE_STATE_DIR: disk.path, PANICMODE_BLOCK_IP_SCRIPT: '', PANICMODE_UNBLOCK_IP_SCRIPT: '' });
    const output = agent.output;
    await waitFor(() => /following \S*auth\.log from/.test(output()) && existsSync(socket), 30_000, 'the agent to start', output);

    const filler = join(disk.path, 'filler');
    fill(filler);
    appendFileSync(authLog, attackers.map((ip) => failures(ip, 4)).join(''));

    await waitFor(() => new Set(recorded('block').map((c) => c.ip)).size === 50, 30_000, 'all 50 attackers to be blocked', output);
    assert.deepEqual(recorded('block').map((c) => c.ip).sort(), [...attackers].sort(), 'each attacker blocked exactly once');
    assert.doesNotMatch(output(), /circuit open/);
    await waitFor(() => /PanicMode bans not recorded/.test(output()), 15_000, 'the operator alert on the console', output);
    assert.match(output(), /CRITICAL.*PanicMode bans not recorded/);

    // Never recorded, still lifted on time (from memory).
    await waitFor(() => recorded('unblock').length === 50, (BAN_S + 30) * 1000, 'all 50 bans to be lifted', output);
    const blockedAt = new Map(recorded('block').map((c) => [c.ip, c.at]));
    for (const u of recorded('unblock')) {
      const held = u.at - blockedAt.get(u.ip)!;
      assert.ok(held >= BAN_S - 1 && held < BAN_S + 15, `${u.ip} held ${held.toFixed(1)} s for a ${BAN_S} s ban`);
    }
    const db = join(disk.path, 'incidents.db');
    const rows = () => {
      const sqlite = new BetterSqlite3(db, { readonly: true, fileMustExist: true });
      try {
        return sqlite.prepare('SELECT ip, active FROM blocked_ips').all() as { ip: string; active: number }[];
      } finally {
        sqlite.close();
      }
    };
    assert.equal(rows().length, 0, 'nothing could be recorded while the disk was full');

    rmSync(filler);
    await waitFor(() => /ban storage recovered/.test(output()), 30_000, 'the pending ban rows to be written', output);
    const written = rows();
    assert.deepEqual(written.map((r) => r.ip).sort(), [...attackers].sort());
    assert.ok(written.every((r) => r.active === 0), 'written as lifted, so a restart does not re-apply them');

    assert.equal(await agent.stop(), 0);
    agent = undefined;
  } finally {
    await agent?.stop();
    disk.unmount();
    rmSync(work, { recursive: true, force: true });
  }
});
