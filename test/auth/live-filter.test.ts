/**
 * The live file source through the filter: the monitor's mode decides what counts, a
 * `message repeated N times` line counts N, a failure whose address is on an earlier
 * line of the connection is attributed, and a \r inside a line frames nobody — on a
 * real file appended while followed.
 */
import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { authFailures$, createAuthCounters } from '../../src/auth/auth-failures.js';
import { memoryLogger } from '../../src/log/logger.js';
import type { FollowEvent } from '../../src/auth/log-follower.js';
import { collect, until } from './follow-helpers.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'panicmode-live-filter-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const line = (pid: number, msg: string) => `Nov 21 10:00:01 web1 sshd[${pid}]: ${msg}\n`;

const follow = async (mode: string | undefined) => {
  const log = join(dir, `auth-${mode ?? 'default'}.log`);
  writeFileSync(log, '');
  const counters = createAuthCounters();
  const events: FollowEvent[] = [];
  const c = collect(authFailures$({ source: 'file', path: log, mode, counters, logger: memoryLogger(), onFollowEvent: (e) => events.push(e) }));
  await until(() => events.length > 0);
  return { log, counters, c };
};

const burst =
  line(10, 'message repeated 3 times: [ Failed password for root from 198.51.100.1 port 1 ssh2]') +
  line(11, 'Connection from 198.51.100.2 port 2 on 192.0.2.10 port 22') +
  line(11, 'Disconnecting: Too many authentication failures [preauth]') +
  line(12, 'Connection closed by 198.51.100.3 port 3 [preauth]') +
  line(13, 'Failed password for invalid user x from 192.0.2.203 port 1 ssh2\r from 198.51.100.4 port 4 ssh2');

test('normal mode (the default): repeats, connection addresses, no framing; closes do not count', async () => {
  const { log, c } = await follow(undefined);
  appendFileSync(log, burst);
  const got = await c.waitFor(5);
  assert.deepEqual(got.map((f) => f.ip), ['198.51.100.1', '198.51.100.1', '198.51.100.1', '198.51.100.2', '198.51.100.4']);
  c.sub.unsubscribe();
});

test('ddos mode: closes before authentication count too', async () => {
  const { log, c } = await follow('ddos');
  appendFileSync(log, burst);
  const got = await c.waitFor(6);
  assert.deepEqual(got.map((f) => f.ip).sort(), ['198.51.100.1', '198.51.100.1', '198.51.100.1', '198.51.100.2', '198.51.100.3', '198.51.100.4']);
  c.sub.unsubscribe();
});
