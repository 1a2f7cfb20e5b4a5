import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, existsSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDatabase } from '../../src/storage/database.js';
import { createBanManager } from '../../src/firewall/ban-manager.js';
import { createScriptBackend } from '../../src/firewall/script-backend.js';
import { createNeverBlock } from '../../src/firewall/never-block.js';
import { startCtlSocket } from '../../src/api/ctl-socket.js';
import { ctlRequest } from '../../src/api/ctl-client.js';
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

const agent = async (sockPath: string) => {
  const scripts = recordingScripts();
  const opened = await openDatabase(join(dir, `ctl-${Math.random()}.db`));
  const logger = memoryLogger();
  const manager = createBanManager({
    db: opened.db,
    backend: createScriptBackend({ block_script: scripts.block, unblock_script: scripts.unblock, timeoutMs: 5000, maxConcurrency: 2, logger }),
    options: { restore_on_startup: true, ban_duration: 3_600_000, ban_increment: { enabled: true, factor: 2, max: 86_400_000 }, ipv6_prefix: 64 },
    neverBlock: createNeverBlock({ whitelist: [], ownAddresses: () => [] }),
    logger,
  });
  await manager.start();
  const sock = await startCtlSocket({ path: sockPath, handler: manager, logger });
  return {
    scripts,
    sock,
    stop: async () => {
      await sock.close();
      await manager.stop();
      await opened.close();
      scripts.remove();
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
    assert.deepEqual(bans.map((b: { ip: string; reason: string }) => [b.ip, b.reason]), [['203.0.113.7', 'manual ban (panicmode ctl)']]);

    // The table form, through the panicmode-ctl alias.
    const table = await cli(['list', '--socket', path], ctlBin);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^IP\s+BLOCKED\s+EXPIRES\s+COUNT\s+REASON/);
    assert.match(table.stdout, /203\.0\.113\.7 .*\(in 1h59m\d+s\)\s+1\s+manual ban/);

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
