/**
 * Recidive: an address banned N times within a window gets the long ban from the N-th
 * ban on — decided by the ban manager over the ban history in SQLite (ban_events), so
 * it survives a restart; bans spread wider than the window, manual exact bans and a
 * disabled policy keep their usual length.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../src/storage/database.js';
import { createBanManager } from '../../src/firewall/ban-manager.js';
import { createScriptBackend } from '../../src/firewall/script-backend.js';
import { createNeverBlock } from '../../src/firewall/never-block.js';
import { findBans } from '../../src/firewall/ban-store.js';
import { recidiveDuration, type RecidiveOptions } from '../../src/firewall/recidive.js';
import { memoryLogger } from '../../src/log/logger.js';
import { recordingScripts } from './recording-scripts.js';
import { decodeConfig, parseYaml } from '../../src/config/load.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const dir = mkdtempSync(join(tmpdir(), 'pm-recidive-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const recidive: RecidiveOptions = { enabled: true, bans: 3, window: DAY, ban_duration: 7 * DAY };

/** A ban manager on a real SQLite file and recording scripts, with a hand-moved clock. */
const setup = async (path: string, clock: { t: number }, r: RecidiveOptions | undefined = recidive) => {
  const scripts = recordingScripts();
  const opened = await openDatabase(path);
  const logger = memoryLogger();
  const manager = createBanManager({
    db: opened.db,
    backend: createScriptBackend({ block_script: scripts.block, unblock_script: scripts.unblock, timeoutMs: 5000, maxConcurrency: 2, logger }),
    options: { restore_on_startup: false, ban_duration: HOUR, ban_increment: { enabled: false, factor: 2, max: DAY }, ipv6_prefix: 64, recidive: r },
    neverBlock: createNeverBlock({ whitelist: [] }),
    logger,
    now: () => clock.t,
  });
  await manager.start();
  return {
    manager,
    db: opened.db,
    /** bans `ip`, lifts the ban, returns the ban's length */
    banAndLift: async (ip: string, reason = 'jail') => {
      const r = await manager.block([ip], { reason });
      assert.equal(r.banned.length, 1, JSON.stringify(r));
      const b = r.banned[0]!;
      await manager.unblock(ip);
      return { ms: b.expires_at === null ? null : b.expires_at - b.blocked_at, reason: b.reason };
    },
    close: async () => {
      await manager.stop();
      await opened.close();
      scripts.remove();
    },
  };
};

test('recidiveDuration: the N-th ban within the window is the long one; never shorter, off when disabled', () => {
  assert.equal(recidiveDuration(HOUR, 2, recidive), HOUR);
  assert.equal(recidiveDuration(HOUR, 3, recidive), 7 * DAY);
  assert.equal(recidiveDuration(30 * DAY, 3, recidive), 30 * DAY);
  assert.equal(recidiveDuration(null, 9, recidive), null);
  assert.equal(recidiveDuration(HOUR, 9, { ...recidive, enabled: false }), HOUR);
  assert.equal(recidiveDuration(HOUR, 9, undefined), HOUR);
});

test('the 3rd ban within a day lasts a week, also after a restart; bans spread over more than a day do not', async () => {
  const path = join(dir, 'a.db');
  const clock = { t: Date.UTC(2026, 10, 21, 0, 0, 0) };
  let s = await setup(path, clock);
  try {
    assert.deepEqual(await s.banAndLift('203.0.113.5'), { ms: HOUR, reason: 'jail' });
    clock.t += 2 * HOUR;
    assert.deepEqual(await s.banAndLift('203.0.113.5'), { ms: HOUR, reason: 'jail' });
  } finally {
    await s.close();
  }
  // the history is in the database: a restarted agent still knows the two bans
  clock.t += 2 * HOUR;
  s = await setup(path, clock);
  try {
    assert.deepEqual(await s.banAndLift('203.0.113.5'), { ms: 7 * DAY, reason: 'jail (recidive: ban 3 within 1d)' });
    const [row] = await findBans(s.db, ['203.0.113.5']);
    assert.equal(row!.ban_count, 3);

    // another address: three bans, each 13 hours apart — never three within one day
    for (let i = 0; i < 3; i++) {
      assert.equal((await s.banAndLift('198.51.100.77')).ms, HOUR, `ban ${i + 1}`);
      clock.t += 13 * HOUR;
    }
    // manual exact bans keep their length
    for (let i = 0; i < 3; i++) {
      const r = await s.manager.block(['192.0.2.9'], { reason: 'manual', durationMs: HOUR, exact: true });
      assert.equal(r.banned[0]!.expires_at! - r.banned[0]!.blocked_at, HOUR);
      await s.manager.unblock('192.0.2.9');
    }
  } finally {
    await s.close();
  }
});

test('disabled (the default): no long ban, but the history is kept for when it is turned on', async () => {
  const clock = { t: Date.UTC(2026, 10, 21, 0, 0, 0) };
  const s = await setup(join(dir, 'b.db'), clock, { ...recidive, enabled: false });
  try {
    for (let i = 0; i < 4; i++) {
      assert.equal((await s.banAndLift('203.0.113.6')).ms, HOUR);
      clock.t += HOUR;
    }
    const n = await s.db.selectFrom('ban_events').select((eb) => eb.fn.countAll<number>().as('n')).where('ip', '=', '203.0.113.6').executeTakeFirst();
    assert.equal(Number(n!.n), 4);
  } finally {
    await s.close();
  }
});

test('config: firewall.recidive defaults (off, 5 bans, 1d, 7d) and its window bound', () => {
  const ok = decodeConfig(parseYaml('firewall:\n  recidive:\n    enabled: true\n').value);
  assert.deepEqual(ok.problems, []);
  assert.deepEqual({ ...ok.config!.firewall.recidive }, { enabled: true, bans: 5, window: DAY, ban_duration: 7 * DAY });
  assert.equal(decodeConfig(parseYaml('').value).config!.firewall.recidive.enabled, false);
  assert.deepEqual(decodeConfig(parseYaml('firewall:\n  recidive:\n    window: 60d\n').value).problems, ['firewall.recidive.window: expected a duration from 1m to 30d, got "60d"']);
});
