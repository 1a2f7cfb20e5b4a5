/**
 * authFailures$ end to end over its real sources: a followed file (with verify_pid
 * against a fixture proc tree), and the journal through a fake journalctl script
 * (journald may not run here) printing what `journalctl --output=json` prints.
 */
import { test, describe, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, appendFileSync, mkdirSync, chmodSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { authFailures$, chooseAuthSource, createAuthCounters } from '../../src/auth/auth-failures.js';
import { journalArgs, parseJournalEntry } from '../../src/auth/journal-source.js';
import { createHost } from '../../src/host/host.js';
import { memoryLogger } from '../../src/log/logger.js';
import type { FollowEvent } from '../../src/auth/log-follower.js';
import { collect, until } from './follow-helpers.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'panicmode-auth-src-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const line = (pid: number, msg: string, prog = 'sshd') => `Nov 21 10:00:01 web1 ${prog}[${pid}]: ${msg}\n`;

describe('source selection', () => {
  const exists = (present: string[]) => (p: string) => present.includes(p);
  test('auto: configured paths first, then the standard files that exist, then the journal', () => {
    assert.deepEqual(chooseAuthSource({ path: '/x/a.log', paths: ['/x/b.log', '/x/a.log'] }, exists([])), { kind: 'file', paths: ['/x/a.log', '/x/b.log'] });
    assert.deepEqual(chooseAuthSource({}, exists(['/var/log/secure'])), { kind: 'file', paths: ['/var/log/secure'] });
    assert.deepEqual(chooseAuthSource({}, exists(['/var/log/auth.log', '/var/log/secure'])), { kind: 'file', paths: ['/var/log/auth.log', '/var/log/secure'] });
    assert.deepEqual(chooseAuthSource({}, exists([])), { kind: 'journal' });
  });
  test('file: the first standard file even while missing; journal: always the journal', () => {
    assert.deepEqual(chooseAuthSource({ source: 'file' }, exists([])), { kind: 'file', paths: ['/var/log/auth.log'] });
    assert.deepEqual(chooseAuthSource({ source: 'journal', path: '/x/a.log' }, exists(['/x/a.log'])), { kind: 'journal' });
  });
});

describe('file source', () => {
  test('emits failures of appended lines; counts lines, matched and skipped', async () => {
    const log = join(dir, 'auth.log');
    writeFileSync(log, line(1, 'Failed password for root from 192.0.2.9 port 1 ssh2')); // before start: not read
    const counters = createAuthCounters();
    const events: FollowEvent[] = [];
    const c = collect(authFailures$({ source: 'file', path: log, counters, logger: memoryLogger(), onFollowEvent: (e) => events.push(e) }));
    await until(() => events.length > 0);
    appendFileSync(log, line(10, 'Failed password for root from 203.0.113.7 port 2 ssh2') + line(11, 'Accepted password for alice from 192.0.2.50 port 3 ssh2') + 'garbage\n' + line(12, 'Invalid user bob from 2001:db8::9 port 4'));
    const got = await c.waitFor(2);
    assert.deepEqual(got.map((f) => [f.ip, f.kind, f.user, f.pid]), [
      ['203.0.113.7', 'failed_password', 'root', 10],
      ['2001:db8::9', 'invalid_user', 'bob', 12],
    ]);
    await until(() => counters.lines === 4);
    assert.deepEqual(counters, { lines: 4, matched: 2, forged: 0, skipped: 2, overlong: 0 });
    c.sub.unsubscribe();
  });

  test('verify_pid: only lines whose pid is a live sshd in the proc tree count; the rest are forged', async () => {
    const proc = join(dir, 'proc');
    // verify_pid checks the executable and its owner (root), not the name
    for (const [pid, exe] of [[4242, '/usr/sbin/sshd'], [4243, '/usr/lib/openssh/sshd-session'], [777, '/usr/bin/bash']] as const) {
      mkdirSync(join(proc, String(pid)), { recursive: true });
      symlinkSync(exe, join(proc, String(pid), 'exe'));
      writeFileSync(join(proc, String(pid), 'status'), 'Uid:\t0\t0\t0\t0\n');
    }
    const log = join(dir, 'auth.log');
    writeFileSync(log, '');
    const counters = createAuthCounters();
    const events: FollowEvent[] = [];
    const c = collect(authFailures$({ source: 'file', path: log, verify_pid: true, host: createHost(proc), counters, logger: memoryLogger(), onFollowEvent: (e) => events.push(e) }));
    await until(() => events.length > 0);
    appendFileSync(
      log,
      line(777, 'Failed password for root from 198.51.100.1 port 1 ssh2') + // a shell's pid
        line(99999, 'Failed password for root from 198.51.100.2 port 1 ssh2') + // no such process
        line(4242, 'Failed password for root from 203.0.113.1 port 1 ssh2') +
        line(4243, 'Invalid user x from 203.0.113.2 port 1', 'sshd-session'),
    );
    const got = await c.waitFor(2);
    await until(() => counters.forged === 2);
    assert.deepEqual(got.map((f) => f.ip), ['203.0.113.1', '203.0.113.2']);
    assert.deepEqual(counters, { lines: 4, matched: 2, forged: 2, skipped: 0, overlong: 0 });
    c.sub.unsubscribe();
  });
});

describe('journal source', () => {
  const entry = (fields: Record<string, unknown>) => JSON.stringify({ __REALTIME_TIMESTAMP: '1795255201123456', _SOURCE_REALTIME_TIMESTAMP: '1795255201000000', ...fields });

  test('parseJournalEntry trusts _COMM, not the message', () => {
    const ok = parseJournalEntry({ _COMM: 'sshd', _PID: '321', _SYSTEMD_UNIT: 'ssh.service', MESSAGE: 'Failed password for root from 203.0.113.5 port 22 ssh2', _SOURCE_REALTIME_TIMESTAMP: '1795255201000000' });
    assert.deepEqual(ok.failure, { ip: '203.0.113.5', kind: 'failed_password', user: 'root', pid: 321, program: 'sshd', pattern: 'failed-auth', ts: 1795255201000 });
    const forged = parseJournalEntry({ _COMM: 'logger', SYSLOG_IDENTIFIER: 'sshd', MESSAGE: 'Failed password for root from 203.0.113.5 port 22 ssh2' });
    assert.equal(forged.failure, null);
    assert.equal(forged.trusted, false);
  });

  test('journalctl args: follow from now, JSON, sshd by trusted _COMM', () => {
    assert.deepEqual(journalArgs(), ['--follow', '--output=json', '--lines=0', '--no-pager', '_COMM=sshd', '_COMM=sshd-session', '_COMM=sshd-auth']);
  });

  test('follows a (fake) journalctl: failures emitted, forged and malformed counted, child killed on unsubscribe', async () => {
    const fake = join(dir, 'journalctl');
    const argsFile = join(dir, 'args.json');
    const pidFile = join(dir, 'pid');
    const lines = [
      entry({ _COMM: 'sshd', _PID: '501', _SYSTEMD_UNIT: 'ssh.service', MESSAGE: 'Failed password for invalid user admin from 203.0.113.50 port 4000 ssh2' }),
      entry({ _COMM: 'logger', _PID: '502', SYSLOG_IDENTIFIER: 'sshd', MESSAGE: 'Failed password for root from 198.51.100.66 port 1 ssh2' }),
      '{not json',
      entry({ _COMM: 'sshd', _PID: '503', MESSAGE: 'Accepted publickey for alice from 192.0.2.50 port 5 ssh2: ED25519 SHA256:x' }),
      // non-UTF-8 messages come as byte arrays
      entry({ _COMM: 'sshd-session', _PID: '504', MESSAGE: [...Buffer.from('Invalid user \u00e9 from 203.0.113.51 port 7')] }),
    ];
    writeFileSync(
      fake,
      `#!/usr/bin/env node
const fs = require('fs');
fs.writeFileSync(${JSON.stringify(argsFile)}, JSON.stringify(process.argv.slice(2)));
fs.writeFileSync(${JSON.stringify(pidFile)}, String(process.pid));
const lines = ${JSON.stringify(lines)};
// written in two halves to exercise line reassembly
const all = lines.join('\\n') + '\\n';
process.stdout.write(all.slice(0, 100));
setTimeout(() => process.stdout.write(all.slice(100)), 20);
setInterval(() => {}, 1000);
`,
    );
    chmodSync(fake, 0o755);
    const counters = createAuthCounters();
    const c = collect(authFailures$({ source: 'journal', journalctl: fake, counters, logger: memoryLogger() }));
    const got = await c.waitFor(2);
    assert.deepEqual(got.map((f) => [f.ip, f.kind, f.user, f.pid, f.program, f.ts]), [
      ['203.0.113.50', 'invalid_user', 'admin', 501, 'sshd', 1795255201000],
      ['203.0.113.51', 'invalid_user', 'é', 504, 'sshd-session', 1795255201000],
    ]);
    await until(() => counters.lines === 5);
    assert.deepEqual(counters, { lines: 5, matched: 2, forged: 1, skipped: 2, overlong: 0 });
    assert.deepEqual(JSON.parse(readFileSync(argsFile, 'utf8')), journalArgs());
    const pid = Number(readFileSync(pidFile, 'utf8'));
    c.sub.unsubscribe();
    await until(() => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    }, 3000, 'fake journalctl to exit');
  });

  test('a journalctl that cannot start or exits errors the stream (supervision restarts it)', async () => {
    const errors: unknown[] = [];
    collect(authFailures$({ source: 'journal', journalctl: join(dir, 'nope'), logger: memoryLogger() }), (e) => errors.push(e));
    await until(() => errors.length === 1);
    assert.match(String(errors[0]), /cannot run .*nope/);
    const quitter = join(dir, 'quitter');
    writeFileSync(quitter, '#!/bin/sh\necho "No journal files were found." >&2\nexit 1\n');
    chmodSync(quitter, 0o755);
    collect(authFailures$({ source: 'journal', journalctl: quitter, logger: memoryLogger() }), (e) => errors.push(e));
    await until(() => errors.length === 2);
    assert.match(String(errors[1]), /exited \(code 1\): No journal files were found/);
  });
});
