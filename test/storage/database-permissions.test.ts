/**
 * The state database is private (issue 7, item 10): it holds user names attackers tried,
 * sometimes passwords typed into the user field. A fresh state directory is 0700 and the
 * database with its -wal and -shm 0600, under the common 022 umask; a state directory and
 * database left 0755/0644 by an older version are tightened; a directory that is not the
 * state directory is never chmodded (a database configured under /tmp must not chmod /tmp).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../src/storage/database.js';
import { insertIncidents } from '../../src/storage/incidents-repository.js';
import type { Incident } from '../../src/model/incident.js';

const root = mkdtempSync(join(tmpdir(), 'pm-perms-'));
const savedUmask = process.umask(0o022);
const savedStateDir = process.env.PANICMODE_STATE_DIR;
after(() => {
  process.umask(savedUmask);
  if (savedStateDir === undefined) delete process.env.PANICMODE_STATE_DIR;
  else process.env.PANICMODE_STATE_DIR = savedStateDir;
  rmSync(root, { recursive: true, force: true });
});

const mode = (path: string) => statSync(path).mode & 0o777;

const incident: Incident = {
  key: 'ssh|203.0.113.7',
  name: 'ssh_brute_force',
  severity: 'critical',
  description: 'Failed password for invalid user hunter2 from 203.0.113.7',
  actions: [],
  metadata: { monitorType: 'auth_failures', threshold: 5, currentValue: 6, details: '' },
  ts: Date.now(),
  status: 'firing',
  count: 1,
};

/** Opens, writes (so the -wal and -shm exist), and reports the modes while open. */
const modesWhileOpen = async (db: string) => {
  const opened = await openDatabase(db);
  try {
    assert.equal(opened.fallbackReason, null);
    await insertIncidents(opened.db, [incident]);
    return { db: mode(db), wal: mode(`${db}-wal`), shm: mode(`${db}-shm`) };
  } finally {
    await opened.close();
  }
};

test('a fresh state directory is 0700 and the database, its -wal and -shm are 0600', async () => {
  const state = join(root, 'fresh', 'var', 'lib', 'panicmode');
  process.env.PANICMODE_STATE_DIR = state;
  const modes = await modesWhileOpen(join(state, 'incidents.db'));
  assert.deepEqual(modes, { db: 0o600, wal: 0o600, shm: 0o600 });
  assert.equal(mode(state), 0o700);
  assert.equal(mode(join(root, 'fresh', 'var')), 0o700, 'missing parents are created private too');
});

test('a state directory and database left readable by an older version are tightened', async () => {
  const state = join(root, 'old');
  mkdirSync(state, { mode: 0o755 });
  chmodSync(state, 0o755);
  const db = join(state, 'incidents.db');
  for (const f of [db, `${db}-wal`, `${db}-shm`]) {
    writeFileSync(f, '');
    chmodSync(f, 0o644);
  }
  rmSync(`${db}-wal`);
  rmSync(`${db}-shm`);
  process.env.PANICMODE_STATE_DIR = state;
  const modes = await modesWhileOpen(db);
  assert.deepEqual(modes, { db: 0o600, wal: 0o600, shm: 0o600 });
  assert.equal(mode(state), 0o700);
});

test('a database outside the state directory is 0600, and its existing directory is left alone', async () => {
  const shared = join(root, 'shared');
  mkdirSync(shared);
  chmodSync(shared, 0o1777);
  process.env.PANICMODE_STATE_DIR = join(root, 'elsewhere');
  const modes = await modesWhileOpen(join(shared, 'pm.db'));
  assert.deepEqual(modes, { db: 0o600, wal: 0o600, shm: 0o600 });
  assert.equal(statSync(shared).mode & 0o7777, 0o1777);
});
