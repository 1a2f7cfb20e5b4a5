/**
 * --snapshot DIR: a real directory tree (files, a symlink, an empty directory, a
 * read-only directory and file, modes) snapshotted, damaged the way a job would, restored
 * and verified by SHA-256; a corrupted snapshot and an unreadable manifest refused with
 * DIR left alone; and the same through runJob with real jobs.
 */
import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diffManifests, readManifest } from '../../src/exec/dir-manifest.js';
import { discardSnapshot, restoreSnapshot, takeSnapshot } from '../../src/exec/dir-snapshot.js';
import { ExecError } from '../../src/errors.js';
import { ExecExit } from '../../src/exec/exec-exit-codes.js';
import { createFixture, noLimits, ourCgroups, sh, type Fixture } from './exec-fixture.js';

let tmp: string;
let dir: string;

const build = (at: string) => {
  mkdirSync(join(at, 'sub'), { recursive: true });
  writeFileSync(join(at, 'a.txt'), 'alpha\n');
  writeFileSync(join(at, 'sub', 'b.txt'), 'beta\n', { mode: 0o640 });
  writeFileSync(join(at, 'secret'), 'key\n', { mode: 0o400 });
  symlinkSync('a.txt', join(at, 'link'));
  symlinkSync('/nonexistent/target', join(at, 'dangling'));
  mkdirSync(join(at, 'empty'));
  mkdirSync(join(at, 'ro'));
  writeFileSync(join(at, 'ro', 'c.txt'), 'gamma\n');
  chmodSync(join(at, 'ro'), 0o555);
};

/** What a job does to DIR: changes, removes, adds, retypes, re-points, re-modes. */
const damage = (at: string) => {
  writeFileSync(join(at, 'a.txt'), 'garbage');
  rmSync(join(at, 'sub', 'b.txt'));
  writeFileSync(join(at, 'new.txt'), 'added by the job');
  mkdirSync(join(at, 'newdir', 'deep'), { recursive: true });
  rmSync(join(at, 'link'));
  symlinkSync('/etc/passwd', join(at, 'link'));
  rmSync(join(at, 'empty'), { recursive: true });
  writeFileSync(join(at, 'empty'), 'now a file');
  chmodSync(join(at, 'secret'), 0o666);
  chmodSync(join(at, 'ro'), 0o755);
  writeFileSync(join(at, 'ro', 'c.txt'), 'changed');
};

beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), 'pm-exec-snap-'));
  dir = join(tmp, 'data');
  mkdirSync(dir);
  build(dir);
});
afterEach(() => {
  // read-only directories inside would stop a non-root rm
  execFileSync('chmod', ['-R', 'u+rwx', tmp]);
  rmSync(tmp, { recursive: true, force: true });
});

describe('dir snapshot', () => {
  it('restores every kind of damage and verifies the result by checksum', () => {
    const before = readManifest(dir);
    const snap = takeSnapshot(dir, join(tmp, 'snap'));
    damage(dir);
    assert.notDeepEqual(diffManifests(before, readManifest(dir)), [], 'the damage is visible');
    restoreSnapshot(snap);
    assert.deepEqual(diffManifests(before, readManifest(dir), 100), []);
    assert.equal(readFileSync(join(dir, 'a.txt'), 'utf8'), 'alpha\n');
    assert.ok(!existsSync(join(dir, 'new.txt')) && !existsSync(join(dir, 'newdir')), 'what the job added is removed');
    discardSnapshot(snap);
    assert.ok(!existsSync(join(tmp, 'snap')));
  });

  it('refuses a snapshot whose copy no longer matches its manifest, leaving DIR as the job left it', () => {
    const snap = takeSnapshot(dir, join(tmp, 'snap'));
    damage(dir);
    const damaged = readManifest(dir);
    writeFileSync(join(tmp, 'snap', 'data', 'sub', 'b.txt'), 'bit rot');
    assert.throws(() => restoreSnapshot(snap), (err: ExecError) => err.code === 'PANICMODE_ERR_EXEC_RESTORE' && /sub\/b\.txt: content differs/.test(err.message));
    assert.deepEqual(diffManifests(damaged, readManifest(dir)), [], 'DIR untouched');
  });

  it('refuses a snapshot whose manifest cannot be read (unverifiable)', () => {
    const snap = takeSnapshot(dir, join(tmp, 'snap'));
    writeFileSync(join(tmp, 'snap', 'manifest.json'), '{"manifest": tru');
    assert.throws(() => restoreSnapshot(snap), /unverifiable/);
  });

  it('refuses a snapshot whose copy AND manifest were rewritten to match each other', () => {
    const snap = takeSnapshot(dir, join(tmp, 'snap'));
    writeFileSync(join(tmp, 'snap', 'data', 'a.txt'), 'forged');
    const forged = { dir: snap.dir, manifest: { ...snap.manifest, entries: readManifest(join(tmp, 'snap', 'data')).entries } };
    writeFileSync(join(tmp, 'snap', 'manifest.json'), JSON.stringify(forged));
    assert.throws(() => restoreSnapshot(snap), /unverifiable: .*changed since the snapshot was taken/);
    assert.equal(readFileSync(join(dir, 'a.txt'), 'utf8'), 'alpha\n');
  });

  it('refuses to snapshot a fifo (special files are not copied) and leaves no partial snapshot', () => {
    execFileSync('mkfifo', [join(dir, 'pipe')]);
    assert.throws(() => takeSnapshot(dir, join(tmp, 'snap')), (err: ExecError) => err.code === 'PANICMODE_ERR_EXEC_SNAPSHOT' && /pipe is a fifo/.test(err.message));
    assert.ok(!existsSync(join(tmp, 'snap')));
  });

  it('refuses a DIR that is not a directory', () => {
    assert.throws(() => takeSnapshot(join(dir, 'a.txt'), join(tmp, 'snap')), /not a directory/);
    assert.throws(() => takeSnapshot(join(tmp, 'missing'), join(tmp, 'snap')), /ENOENT/);
  });
});

describe('panicmode exec --snapshot', { timeout: 60_000 }, () => {
  let fx: Fixture;
  afterEach(() => fx?.cleanup());
  const snapshots = () => readdirSync(join(fx.dir, 'state', 'exec-snapshots'));

  it('restores DIR after a job that corrupted it and failed; exit code is the job\'s', async () => {
    fx = createFixture(true);
    const before = readManifest(dir);
    const o = await fx.run({ argv: sh(`echo junk > "${dir}/a.txt"; rm -r "${dir}/sub"; touch "${dir}/extra"; exit 3`), snapshotDir: dir });
    assert.equal(o.exitCode, 3);
    assert.equal(o.restored, true);
    assert.deepEqual(diffManifests(before, readManifest(dir), 100), []);
    assert.deepEqual(snapshots(), [], 'the snapshot is deleted once restored');
  });

  it('restores DIR after a job killed at its timeout, and records only the timeout', async () => {
    fx = createFixture(true);
    const before = readManifest(dir);
    const o = await fx.run({ argv: sh(`echo junk > "${dir}/a.txt"; sleep 30`), snapshotDir: dir, limits: { ...noLimits, timeoutMs: 500 } });
    assert.equal(o.exitCode, ExecExit.timeout);
    assert.equal(o.restored, true);
    assert.deepEqual(diffManifests(before, readManifest(dir)), []);
    assert.deepEqual(fx.incidents.map((i) => i.name), ['exec_timeout']);
    assert.deepEqual(ourCgroups(), []);
  });

  it('keeps what a successful job did and deletes the snapshot', async () => {
    fx = createFixture(false);
    const o = await fx.run({ argv: sh(`echo new > "${dir}/a.txt"`), snapshotDir: dir });
    assert.equal(o.exitCode, 0);
    assert.equal(o.restored, null);
    assert.equal(readFileSync(join(dir, 'a.txt'), 'utf8'), 'new\n');
    assert.deepEqual(snapshots(), []);
  });

  it('a job that corrupted the snapshot too: restore refused, exit 119, a critical restore incident, snapshot kept', async () => {
    fx = createFixture(true);
    const root = join(fx.dir, 'state', 'exec-snapshots');
    const o = await fx.run({
      argv: sh(`for f in "${root}"/*/data/a.txt; do echo tampered > "$f"; done; echo junk > "${dir}/a.txt"; exit 1`),
      snapshotDir: dir,
    });
    assert.equal(o.exitCode, ExecExit.restoreFailed);
    assert.equal(o.restored, false);
    assert.deepEqual(fx.incidents.map((i) => [i.name, i.severity]), [['exec_restore_failed', 'critical']]);
    assert.match(fx.incidents[0]!.description, /a\.txt: content differs.*snapshot kept at/);
    assert.equal(readFileSync(join(dir, 'a.txt'), 'utf8'), 'junk\n', 'DIR as the job left it');
    assert.equal(snapshots().length, 1, 'the snapshot is kept for the operator');
  });
});
