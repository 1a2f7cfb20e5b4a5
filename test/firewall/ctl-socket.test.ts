import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, existsSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDatabase, type OpenedDatabase } from '../../src/storage/database.js';
import { createBanManager } from '../../src/firewall/ban-manager.js';
import { createScriptBackend } from '../../src/firewall/script-backend.js';
import { createNeverBlock } from '../../src/firewall/never-block.js';
import { startCtlSocket, type CtlSocket } from '../../src/api/ctl-socket.js';
import { ctlRequest } from '../../src/api/ctl-client.js';
import { formatBanTable } from '../../src/cli/ctl.js';
import { waitFor } from '../e2e/agent-process.js';
import { createConnection, type Socket } from 'node:net';
import { memoryLogger } from '../../src/log/logger.js';
import { recordingScripts } from './recording-scripts.js';

const bin = fileURLToPath(new URL('../../bin/panicmode.js', import.meta.url));
const ctlBin = fileURLToPath(new URL('../../bin/panicmode-ctl.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'pm-ctl-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const cli = (args: string[], file = bin): Promise<{ code: number; stdout: string; stderr: string }> =>
  new Promise((resolve) => {
    execFile(process.execPath, [file, ...args], { env: { ...process.env, PANICMODE_FROM_SOURCE: '1' }, timeout: 30_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });

/** A ban manager with its control socket; `seed` writes rows before it starts (what an older version left). */
const agent = async (sockPath: string, seed?: (sqlite: OpenedDatabase['sqlite']) => void) => {
  const scripts = recordingScripts();
  const opened = await openDatabase(join(dir, `ctl-${Math.random()}.db`));
  seed?.(opened.sqlite);
  const logger = memoryLogger();
  const manager = createBanManager({
    db: opened.db,
    backend: createScriptBackend({ block_script: scripts.block, unblock_script: scripts.unblock, timeoutMs: 5000, maxConcurrency: 2, logger }),
    options: { restore_on_startup: true, ban_duration: 3_600_000, ban_increment: { enabled: true, factor: 2, max: 86_400_000 }, ipv6_prefix: 64 },
    neverBlock: createNeverBlock({ whitelist: [], ownAddresses: () => [] }),
    logger,
  });
  await manager.start();
  let sock: CtlSocket;
  try {
    sock = await startCtlSocket({ path: sockPath, handler: { bans: manager, frozen: { list: () => [], thaw: () => ({ thawed: [], gone: [] }) } }, logger });
  } catch (err) {
    // refused (a live agent holds the path): nothing of this one may stay behind
    await manager.stop();
    await opened.close();
    scripts.remove();
    throw err;
  }
  return {
    scripts,
    manager,
    logger,
    sock,
    stop: async () => {
      try {
        await sock.close();
        await manager.stop();
        await opened.close();
      } finally {
        scripts.remove();
      }
    },
  };
};

test('the socket is 0600 in a 0700 directory, leaves no temp files, and is removed on close', async () => {
  const path = join(dir, 'run', 'nested', 'ctl.sock');
  const a = await agent(path);
  try {
    const st = statSync(path);
    assert.ok(st.isSocket());
    assert.equal(st.mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, 'run', 'nested')).mode & 0o777, 0o700);
    assert.deepEqual(readdirSync(join(dir, 'run', 'nested')), ['ctl.sock'], 'the bind directory is gone');
  } finally {
    await a.stop();
  }
  assert.ok(!existsSync(path), 'removed on shutdown');
});

test('ban, list and unblock through `panicmode ctl --socket --json` in child processes', async () => {
  const path = join(dir, 'cli.sock');
  const a = await agent(path);
  try {
    const ban = await cli(['ctl', 'ban', '203.0.113.7', '--for', '2h', '--socket', path, '--json']);
    assert.equal(ban.code, 0, ban.stderr);
    const banned = JSON.parse(ban.stdout);
    assert.equal(banned.ok, true);
    assert.equal(banned.result.banned[0].ip, '203.0.113.7');
    assert.equal(banned.result.banned[0].expires_at - banned.result.banned[0].blocked_at, 7_200_000);
    assert.deepEqual(a.scripts.calls(), ['block 1 203.0.113.7']);

    const list = await cli(['ctl', 'list', '--socket', path, '--json']);
    assert.equal(list.code, 0, list.stderr);
    const bans = JSON.parse(list.stdout).bans;
    assert.deepEqual(bans.map((b: { ip: string; reason: string; state: string; lift_error: string | null }) => [b.ip, b.reason, b.state, b.lift_error]), [
      ['203.0.113.7', 'manual ban (panicmode ctl)', 'in force', null],
    ]);

    // The table form, through the panicmode-ctl alias.
    const table = await cli(['list', '--socket', path], ctlBin);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^IP\s+BLOCKED\s+EXPIRES\s+COUNT\s+REASON\s+STATE\n/);
    // The remaining time depends on when the listing ran (formatBanTable's own test pins it).
    const expiresAt = new Date(bans[0].expires_at).toISOString().replace('T', ' ').slice(0, 19);
    assert.match(table.stdout, new RegExp(`203\\.0\\.113\\.7 .*${expiresAt} \\(in \\d+h[\\dms]*\\)\\s+1\\s+manual ban \\(panicmode ctl\\)\\s+in force\\n`));

    const refused = await cli(['ctl', 'ban', '10.0.0.5', '--socket', path, '--json']);
    assert.equal(refused.code, 1);
    assert.match(JSON.parse(refused.stdout).error, /RFC 1918/);

    const un = await cli(['ctl', 'unblock', '203.0.113.7', '--socket', path, '--json']);
    assert.equal(un.code, 0, un.stderr);
    assert.deepEqual(JSON.parse(un.stdout).lifted, ['203.0.113.7']);
    assert.equal(a.scripts.calls().at(-1), 'unblock 1 203.0.113.7');
    assert.deepEqual(JSON.parse((await cli(['ctl', 'list', '--socket', path, '--json'])).stdout).bans, []);

    const bad = await cli(['ctl', 'ban', '1.2.3.4;id', '--socket', path]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /not an IP address/);
  } finally {
    await a.stop();
  }
});

test('ctl finds the socket from --config (firewall.ctl_socket)', async () => {
  const path = join(dir, 'from-config.sock');
  const config = join(dir, 'config.yaml');
  writeFileSync(config, `firewall:\n  ctl_socket: ${path}\n`);
  const a = await agent(path);
  try {
    const r = await cli(['ctl', 'list', '--config', config, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { ok: true, bans: [] });
  } finally {
    await a.stop();
  }
});

test('a clear error when no agent listens; a stale socket from a crash is replaced; a live one is not', async () => {
  const none = await cli(['ctl', 'list', '--socket', join(dir, 'nobody.sock')]);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /no agent is listening: .*nobody\.sock does not exist/);

  // A crashed agent leaves its socket file behind: a child binds and is SIGKILLed, so the file stays.
  const stale = join(dir, 'stale.sock');
  const crashed = spawnSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(stale)}, () => process.kill(process.pid, 'SIGKILL'))`]);
  assert.equal(crashed.signal, 'SIGKILL');
  assert.ok(existsSync(stale), 'the stale socket file exists');
  const refused = await cli(['ctl', 'list', '--socket', stale]);
  assert.match(refused.stderr, /no agent is listening on .*stale socket/);
  const a = await agent(stale);
  try {
    assert.equal(statSync(stale).mode & 0o777, 0o600);
    assert.deepEqual(await ctlRequest(stale, { cmd: 'list' }), { ok: true, bans: [] });
    await assert.rejects(agent(stale), /another agent is already listening/);
  } finally {
    await a.stop();
  }
});

test('the list table counts remaining time from the moment given, so it reads the same however fast it runs', () => {
  const ban = { ip: '203.0.113.7', blocked_at: Date.UTC(2026, 10, 30, 12), expires_at: Date.UTC(2026, 10, 30, 14), reason: 'manual ban', ban_count: 1, backend: 'script', state: 'in force' as const, lift_error: null };
  // Listed in the very millisecond of the ban (the case that made this suite flaky), and 30.5 s later.
  assert.match(formatBanTable([ban], ban.blocked_at), /203\.0\.113\.7\s+2026-11-30 12:00:00\s+2026-11-30 14:00:00 \(in 2h\)\s+1\s+manual ban/);
  assert.match(formatBanTable([ban], ban.blocked_at + 30_500), /\(in 1h59m30s\)/);
  assert.equal(formatBanTable([], 0), 'no bans in force\n');
});

test('the list table shows each ban\'s state: a ban past its end is `lifting`, with why its unblock failed', () => {
  const end = Date.UTC(2026, 10, 30, 14);
  const ban = { ip: '203.0.113.7', blocked_at: Date.UTC(2026, 10, 30, 12), expires_at: end, reason: 'ssh brute force', ban_count: 2, backend: 'script' };
  const table = formatBanTable(
    [
      { ...ban, state: 'lifting', lift_error: 'unblock script exited with code 3' },
      { ...ban, ip: '198.18.0.9', expires_at: end + 60_000, state: 'in force', lift_error: null },
    ],
    end + 12_000,
  );
  assert.equal(
    table,
    [
      'IP           BLOCKED              EXPIRES                              COUNT  REASON           STATE',
      '203.0.113.7  2026-11-30 12:00:00  2026-11-30 14:00:00 (ended 12s ago)  2      ssh brute force  lifting (unblock failed, trying again: unblock script exited with code 3)',
      '198.18.0.9   2026-11-30 12:00:00  2026-11-30 14:01:00 (in 48s)         2      ssh brute force  in force',
      '',
    ].join('\n'),
  );
});

test('`ctl list` keeps a ban whose unblock failed, `lifting` with the error, until an unblock returns OK', async () => {
  const path = join(dir, 'lifting.sock');
  const a = await agent(path);
  try {
    a.scripts.breakUnblock();
    await a.manager.block(['203.0.113.9'], { reason: 'short', durationMs: 200 });
    // Its end passes and the unblock script fails: the firewall still holds it.
    await waitFor(() => a.logger.lines.some((l) => l.includes('unban failed for 1 of 1')), 10_000, 'the unblock to fail');
    const json = await cli(['ctl', 'list', '--socket', path, '--json']);
    assert.equal(json.code, 0, json.stderr);
    const [listed, ...more] = JSON.parse(json.stdout).bans as { ip: string; state: string; lift_error: string | null }[];
    assert.deepEqual(more, []);
    assert.equal(listed!.ip, '203.0.113.9');
    assert.equal(listed!.state, 'lifting');
    assert.match(listed!.lift_error ?? '', /unblock script .* broken on purpose/);

    const table = await cli(['ctl', 'list', '--socket', path]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /203\.0\.113\.9 .*\(ended \d+s ago\)\s+1\s+short\s+lifting \(unblock failed, trying again: .*unblock script .*broken on purpose\)\n/);

    // The operator lifts it once the firewall works again: only then is it gone.
    a.scripts.breakUnblock(false);
    const un = await cli(['ctl', 'unblock', '203.0.113.9', '--socket', path]);
    assert.equal(un.code, 0, un.stderr);
    assert.deepEqual(a.scripts.calls(), ['block 1 203.0.113.9', 'unblock 1 203.0.113.9']);
    assert.equal((await cli(['ctl', 'list', '--socket', path])).stdout, 'no bans in force\n');
  } finally {
    await a.stop();
  }
});

test('ctl ban --for beyond the longest ban is refused with a clear error; a far-future row an older version stored still lists', async () => {
  const path = join(dir, 'huge.sock');
  // What `ctl ban --for 99999999999999999999999d` stored before durations were checked.
  const a = await agent(path, (sqlite) =>
    sqlite
      .prepare('INSERT INTO blocked_ips (ip, blocked_at, expires_at, reason, ban_count, backend, active) VALUES (?, ?, ?, ?, ?, ?, 1)')
      .run('192.0.2.77', Date.now(), 8.64e30, 'manual ban (panicmode ctl)', 1, 'script'),
  );
  try {
    const huge = await cli(['ctl', 'ban', '203.0.113.8', '--for', '99999999999999999999999d', '--socket', path]);
    assert.equal(huge.code, 2, huge.stderr);
    assert.match(huge.stderr, /--for: expected a duration of at most 36500d, got "99999999999999999999999d"/);
    const long = await cli(['ctl', 'ban', '203.0.113.8', '--for', '366d', '--socket', path]);
    assert.equal(long.code, 2, long.stderr);
    assert.match(long.stderr, /--for: 366d is longer than the longest ban, 365d/);
    // Straight through the protocol too: the socket does not trust its clients.
    const raw = await ctlRequest(path, { cmd: 'ban', ip: '203.0.113.8', for_ms: 1e300 });
    assert.equal(raw.ok, false);
    assert.match((raw as { error: string }).error, /"for_ms" must be .* at most 31536000000 \(365d\)/);
    assert.deepEqual(a.scripts.calls().filter((c) => c.startsWith('block ')), ['block 1 192.0.2.77'], 'only the restored row was applied');

    const ok = await cli(['ctl', 'ban', '203.0.113.8', '--for', '365d', '--socket', path]);
    assert.equal(ok.code, 0, ok.stderr);
    const table = await cli(['ctl', 'list', '--socket', path]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /192\.0\.2\.77\s+\S+ \S+\s+8\.64e\+30\s+1\s+manual ban/);
    assert.match(table.stdout, /203\.0\.113\.8 .*\(in 36(?:4d23h59m\d+s|5d)\)/);
  } finally {
    await a.stop();
  }
});

test('ctl ban 0.0.0.0/0 is refused as too broad, not as loopback', async () => {
  const path = join(dir, 'broad.sock');
  const a = await agent(path);
  try {
    for (const [target, why] of [
      ['0.0.0.0/0', /too broad: \/0 is wider than \/8/],
      ['::/0', /too broad: \/0 is wider than \/32/],
      ['172.0.0.0/8', /contains 172\.16\.0\.0\/12 \(RFC 1918 private address\)/],
    ] as const) {
      const r = await cli(['ctl', 'ban', target, '--socket', path, '--json']);
      assert.equal(r.code, 1, r.stderr);
      const error = JSON.parse(r.stdout).error as string;
      assert.match(error, why);
      assert.doesNotMatch(error, /loopback/);
    }
    assert.deepEqual(a.scripts.calls(), []);
  } finally {
    await a.stop();
  }
});

/** A raw connection to the socket, with what it has read so far. */
const rawClient = (path: string) =>
  new Promise<{ socket: Socket; received: () => string }>((resolve, reject) => {
    let got = '';
    const socket = createConnection(path, () => resolve({ socket, received: () => got }));
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (got += d));
    socket.on('error', reject);
  });

test('pipelined requests are all answered in order when the client reads', async () => {
  const path = join(dir, 'pipelined.sock');
  const a = await agent(path);
  try {
    const { socket, received } = await rawClient(path);
    const requests = Array.from({ length: 300 }, (_, i) => (i % 2 === 0 ? '{"cmd":"list"}' : `{"cmd":"nope${i}"}`));
    socket.write(requests.join('\n') + '\n');
    await waitFor(() => received().split('\n').length > 300, 20_000, '300 answers');
    const answers = received().trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(answers.length, 300);
    answers.forEach((ans, i) => assert.equal(ans.ok, i % 2 === 0, `answer ${i} in order`));
    socket.destroy();
  } finally {
    await a.stop();
  }
});

test('a client that pipelines requests and never reads: the agent stops reading them, then closes the connection', async () => {
  const path = join(dir, 'unread.sock');
  // 200 bans: each answer ~30 KB, so unread answers would pile up fast.
  const bans = Array.from({ length: 200 }, (_, i) => ({ ip: `203.0.113.${i}`, blocked_at: 1, expires_at: 2, reason: 'x'.repeat(80), ban_count: 1, backend: 'script', state: 'in force' as const, lift_error: null }));
  let lists = 0;
  const logger = memoryLogger();
  const sock = await startCtlSocket({
    path,
    logger,
    stallTimeoutMs: 300,
    handler: {
      bans: {
        list: async () => {
          lists++;
          return bans;
        },
        unblock: async () => ({ lifted: [] }),
        block: async () => ({ banned: [], already: [], skipped: [], invalid: [], failed: [] }),
      },
      frozen: { list: () => [], thaw: () => ({ thawed: [], gone: [] }) },
    },
  });
  try {
    const { socket } = await rawClient(path);
    socket.pause(); // never reads an answer
    const closed = new Promise((r) => socket.once('close', r));
    socket.write('{"cmd":"list"}\n'.repeat(2000));
    await waitFor(() => logger.lines.some((l) => /closing a connection that left \d+ bytes of answers unread/.test(l)), 20_000, 'the stalled connection to be closed');
    assert.ok(lists < 100, `answers computed for an unread connection: ${lists} of 2000 (bounded by the socket buffers)`);
    socket.resume();
    await closed;
  } finally {
    await sock.close();
  }
});
