/**
 * The follower against real files in a temp dir: appended, written in halves, renamed
 * (logrotate), truncated (copytruncate), missing then created, and resumed after a
 * restart from a cursor kept in a real SQLite file.
 */
import { test, describe, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, appendFileSync, renameSync, truncateSync, statSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { map } from 'rxjs';
import { followLog, type FollowEvent } from '../../src/auth/log-follower.js';
import { LineSplitter } from '../../src/auth/line-splitter.js';
import { createLogCursorRepository, type LogCursor, type LogCursorStore } from '../../src/auth/log-cursor-repository.js';
import { openDatabase } from '../../src/storage/database.js';
import { memoryLogger } from '../../src/log/logger.js';
import { collect, delay, until } from './follow-helpers.js';

let dir: string;
let log: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'panicmode-follow-'));
  log = join(dir, 'auth.log');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const opts = (extra: Parameters<typeof followLog>[1] = {}) => ({ logger: memoryLogger(), pollIntervalMs: 1000, ...extra });

/** Follows and resolves once the follower has opened (or found missing) the file. */
const start = async (extra: Parameters<typeof followLog>[1] = {}) => {
  const events: FollowEvent[] = [];
  const c = collect(followLog(log, opts({ ...extra, onEvent: (e) => events.push(e) })).pipe(map((l) => l.text)));
  await until(() => events.length > 0, 3000, 'follower start');
  return { ...c, events };
};

describe('followLog', () => {
  test('starts at the end: existing lines are not re-read, appended ones arrive', async () => {
    writeFileSync(log, 'old 1\nold 2\n');
    const c = await start();
    appendFileSync(log, 'new 1\nnew 2\n');
    assert.deepEqual(await c.waitFor(2), ['new 1', 'new 2']);
    c.sub.unsubscribe();
  });

  test('a line written in two chunks comes out once, whole', async () => {
    writeFileSync(log, '');
    const c = await start();
    appendFileSync(log, 'Nov 21 10:00:01 h sshd[1]: Failed pass');
    await delay(50);
    assert.deepEqual(c.values, []);
    appendFileSync(log, 'word for root from 192.0.2.1 port 2 ssh2\nnext\n');
    assert.deepEqual(await c.waitFor(2), ['Nov 21 10:00:01 h sshd[1]: Failed password for root from 192.0.2.1 port 2 ssh2', 'next']);
    c.sub.unsubscribe();
  });

  test('UTF-8 split across writes is not mangled', async () => {
    writeFileSync(log, '');
    const c = await start();
    const bytes = Buffer.from('user é\n', 'utf8');
    appendFileSync(log, bytes.subarray(0, 6)); // cuts é in half
    await delay(30);
    appendFileSync(log, bytes.subarray(6));
    assert.deepEqual(await c.waitFor(1), ['user é']);
    c.sub.unsubscribe();
  });

  test('rename rotation: the old file is finished, then the new one is read from its start', async () => {
    writeFileSync(log, 'before\n');
    const c = await start();
    appendFileSync(log, 'a\n');
    await c.waitFor(1);
    renameSync(log, log + '.1');
    appendFileSync(log + '.1', 'late write to the old file\n');
    writeFileSync(log, 'first of new\nsecond of new\n');
    assert.deepEqual(await c.waitFor(4), ['a', 'late write to the old file', 'first of new', 'second of new']);
    assert.ok(c.events.some((e) => e.type === 'rotated' || e.type === 'missing'));
    appendFileSync(log, 'more\n');
    assert.deepEqual((await c.waitFor(5)).at(-1), 'more');
    c.sub.unsubscribe();
  });

  test('copytruncate: a truncated file is read again from 0', async () => {
    writeFileSync(log, 'x'.repeat(200) + '\n');
    const c = await start();
    appendFileSync(log, 'a\n');
    await c.waitFor(1);
    truncateSync(log, 0);
    appendFileSync(log, 'after truncate\n');
    assert.deepEqual(await c.waitFor(2), ['a', 'after truncate']);
    assert.ok(c.events.some((e) => e.type === 'truncated'));
    c.sub.unsubscribe();
  });

  test('copytruncate of a one-line file: the line appended after it is read once, and the file is not "truncated" again on every poll', async () => {
    // Issue 7 item 1: the remembered head was the old file's, so every later look saw
    // "first bytes changed", re-read from 0 and re-emitted the line (6 polls = a ban).
    writeFileSync(log, 'Nov 22 00:00:00 web-1 sshd[1]: Server listening on 0.0.0.0 port 22.\n');
    const c = await start({ watch: false, pollIntervalMs: 20 });
    try {
      writeFileSync(log + '.1', 'Nov 22 00:00:00 web-1 sshd[1]: Server listening on 0.0.0.0 port 22.\n');
      truncateSync(log, 0);
      await until(() => c.events.some((e) => e.type === 'truncated'), 3000, 'the truncation');
      appendFileSync(log, 'Nov 22 00:00:05 web-1 sshd[7]: Failed password for root from 203.0.113.251 port 4 ssh2\n');
      await c.waitFor(1);
      await delay(300); // ~15 polls
      assert.deepEqual(c.values, ['Nov 22 00:00:05 web-1 sshd[7]: Failed password for root from 203.0.113.251 port 4 ssh2']);
      assert.equal(c.events.filter((e) => e.type === 'truncated').length, 1, 'one truncation, not one per poll');
    } finally {
      c.sub.unsubscribe();
    }
  });

  test('copytruncate that grew back past the offset before we looked is still seen (first bytes changed)', async () => {
    writeFileSync(log, 'original first line that is long enough to fill the head bytes.......\n');
    const c = await start({ watch: false, pollIntervalMs: 100 });
    // truncate and rewrite with more bytes than before, between two polls
    writeFileSync(log, 'rotated content, a different first line, and longer than the old file was\nsecond\n');
    assert.deepEqual(await c.waitFor(2), ['rotated content, a different first line, and longer than the old file was', 'second']);
    c.sub.unsubscribe();
  });

  test('a missing file that appears later is read from its start', async () => {
    const c = await start();
    assert.equal(c.events[0]!.type, 'missing');
    await delay(20);
    writeFileSync(log, 'first\nsecond\n');
    assert.deepEqual(await c.waitFor(2), ['first', 'second']);
    c.sub.unsubscribe();
  });

  test('a deleted file: lines are kept to its end, then the new one is followed', async () => {
    writeFileSync(log, '');
    const c = await start();
    appendFileSync(log, 'a\n');
    await c.waitFor(1);
    unlinkSync(log);
    await until(() => c.events.some((e) => e.type === 'missing'), 3000, 'missing event');
    writeFileSync(log, 'b\n');
    assert.deepEqual(await c.waitFor(2), ['a', 'b']);
    c.sub.unsubscribe();
  });

  test('without inotify, the slow poll still delivers', async () => {
    writeFileSync(log, '');
    const c = await start({ watch: false, pollIntervalMs: 50 });
    appendFileSync(log, 'polled\n');
    assert.deepEqual(await c.waitFor(1), ['polled']);
    c.sub.unsubscribe();
  });

  test('restart: resumes from the cursor saved in SQLite when the inode matches; else from the end', async () => {
    const db = await openDatabase(join(dir, 'state.db'));
    try {
      const cursors = createLogCursorRepository(db.db);
      writeFileSync(log, 'history\n');
      const first = await start({ cursors, cursorSaveIntervalMs: 10 });
      appendFileSync(log, 'seen before restart\n');
      await first.waitFor(1);
      first.sub.unsubscribe();
      const size = statSync(log).size;
      let saved: LogCursor | undefined;
      for (let i = 0; i < 100 && saved?.offset !== size; i++) {
        saved = await cursors.load(log);
        await delay(10);
      }
      assert.equal(saved?.offset, size, 'cursor saved at the end of the last whole line');
      assert.equal(saved?.inode, statSync(log).ino);

      // written while the agent was down
      appendFileSync(log, 'written while down 1\nwritten while down 2\n');
      const second = await start({ cursors });
      assert.deepEqual(second.events[0], { type: 'opened', path: log, inode: statSync(log).ino, offset: size, resumed: true });
      assert.deepEqual(await second.waitFor(2), ['written while down 1', 'written while down 2']);
      second.sub.unsubscribe();
      await delay(30);

      // rotated while down: the old file is finished from the cursor, the new one read from its start
      renameSync(log, log + '.1');
      writeFileSync(log, 'new file history\n');
      const third = await start({ cursors });
      assert.deepEqual(third.events[0], { type: 'opened', path: log + '.1', inode: statSync(log + '.1').ino, offset: statSync(log + '.1').size, resumed: true });
      appendFileSync(log, 'fresh\n');
      assert.deepEqual(await third.waitFor(2), ['new file history', 'fresh']);
      third.sub.unsubscribe();
      await delay(30);

      // replaced file, the old one gone: the cursor does not apply, start from its end
      unlinkSync(log + '.1');
      renameSync(log, join(dir, 'elsewhere.log'));
      writeFileSync(log, 'newer file history\n');
      const fourth = await start({ cursors });
      assert.equal((fourth.events[0] as { resumed: boolean }).resumed, false);
      appendFileSync(log, 'fresher\n');
      assert.deepEqual(await fourth.waitFor(1), ['fresher']);
      fourth.sub.unsubscribe();
      await delay(30);
    } finally {
      await db.close();
    }
  });

  test('a 30 MB line without newline is skipped unread and reported; the lines around it arrive; memory stays flat', async () => {
    writeFileSync(log, '');
    const c = await start({ watch: false, pollIntervalMs: 20 });
    try {
      appendFileSync(log, 'before\n');
      await c.waitFor(1);
      const huge = Buffer.alloc(30 * 1024 * 1024, 'x');
      appendFileSync(log, huge);
      appendFileSync(log, huge.subarray(0, 1000));
      appendFileSync(log, '\nafter\r\n');
      assert.deepEqual(await c.waitFor(2, 20_000), ['before', 'after']);
      const overlong = c.events.filter((e) => e.type === 'overlong');
      assert.deepEqual(overlong, [{ type: 'overlong', path: log, bytes: 30 * 1024 * 1024 + 1000, end: 7 + 30 * 1024 * 1024 + 1001 }]);
    } finally {
      c.sub.unsubscribe();
    }
  });

  test('a line ends at \\n only: \\r and U+2028 inside it stay in its text', async () => {
    writeFileSync(log, '');
    const c = await start();
    try {
      appendFileSync(log, 'Failed password for x\rfrom 192.0.2.9 port 1 ssh2 from 203.0.113.1\u2028tail\r\nnext\n');
      assert.deepEqual(await c.waitFor(2), ['Failed password for x\rfrom 192.0.2.9 port 1 ssh2 from 203.0.113.1\u2028tail', 'next']);
    } finally {
      c.sub.unsubscribe();
    }
  });

  test('the saved cursor does not pass a line still held, and passes it once released', async () => {
    const saved: LogCursor[] = [];
    const store: LogCursorStore = { load: async () => undefined, save: async (cur) => void saved.push(cur) };
    writeFileSync(log, '');
    const releases: (() => void)[] = [];
    const events: FollowEvent[] = [];
    const texts: string[] = [];
    const sub = followLog(log, opts({ cursors: store, cursorSaveIntervalMs: 10, onEvent: (e) => events.push(e) })).subscribe((l) => {
      texts.push(l.text);
      if (l.text.startsWith('held')) releases.push(l.hold());
    });
    try {
      await until(() => events.length > 0, 3000, 'follower start');
      appendFileSync(log, 'a\nheld 1\nb\nheld 2\nc\n'); // ends: 2, 9, 11, 18, 20
      await until(() => texts.length === 5, 3000, 'the lines');
      await until(() => saved.at(-1)?.offset === 2, 3000, 'the cursor before the first held line');
      await delay(50);
      assert.equal(saved.at(-1)!.offset, 2);
      releases[1]!();
      await delay(50);
      assert.equal(saved.at(-1)!.offset, 2, 'releasing the second held line does not pass the first');
      releases[0]!();
      await until(() => saved.at(-1)?.offset === 20, 3000, 'the cursor at the end once both are released');
    } finally {
      sub.unsubscribe();
    }
  });

  test('rename rotation while a line is held: the cursor stays on the old file, and a restart reads its tail (found renamed), then the new file', async () => {
    const store = new Map<string, LogCursor>();
    const cursors: LogCursorStore = { load: async (p) => store.get(p), save: async (c) => void store.set(c.path, c) };
    writeFileSync(log, 'old history\n');
    const oldInode = statSync(log).ino;
    const events: FollowEvent[] = [];
    const texts: string[] = [];
    const sub = followLog(log, opts({ cursors, cursorSaveIntervalMs: 10, onEvent: (e) => events.push(e) })).subscribe((l) => {
      texts.push(l.text);
      if (l.text === 'held') l.hold(); // never released: as if the agent died before the ban
    });
    try {
      await until(() => events.length > 0, 3000, 'follower start');
      appendFileSync(log, 'a\nheld\nb\n');
      await until(() => texts.length === 3, 3000, 'the old lines');
      renameSync(log, log + '.1');
      writeFileSync(log, 'new 1\nnew 2\n');
      await until(() => texts.length === 5, 3000, 'the new lines');
      await delay(50);
      assert.deepEqual(store.get(log), { ...store.get(log)!, inode: oldInode, offset: 'old history\na\n'.length });
    } finally {
      sub.unsubscribe();
    }
    await delay(30);
    appendFileSync(log, 'new 3 (while down)\n');
    const again = await start({ cursors });
    try {
      assert.deepEqual(again.events[0], { type: 'opened', path: log + '.1', inode: oldInode, offset: 'old history\na\n'.length, resumed: true });
      assert.deepEqual(await again.waitFor(5), ['held', 'b', 'new 1', 'new 2', 'new 3 (while down)']);
    } finally {
      again.sub.unsubscribe();
    }
  });

  test('a cursor beyond the file size (truncated while down) is not used', async () => {
    writeFileSync(log, 'short\n');
    const store: LogCursorStore = {
      load: async () => ({ path: log, inode: statSync(log).ino, offset: 10_000, updated_at: 0 }),
      save: async () => undefined,
    };
    const c = await start({ cursors: store });
    assert.deepEqual(c.events[0], { type: 'opened', path: log, inode: statSync(log).ino, offset: 6, resumed: false });
    c.sub.unsubscribe();
  });
});

describe('LineSplitter', () => {
  test('a 30 MB line in 64 KiB reads: nothing of it is held (memory flat), it is reported once with its length and end', () => {
    const splitter = new LineSplitter();
    const lines: [string, number][] = [];
    const overlong: [number, number][] = [];
    const sink = { line: (t: string, end: number) => void lines.push([t, end]), overlong: (b: number, end: number) => void overlong.push([b, end]) };
    const chunk = Buffer.alloc(64 * 1024, 'x');
    splitter.push(Buffer.from('first\n'), sink);
    const base = process.memoryUsage().arrayBuffers;
    let peak = 0;
    for (let i = 0; i < 480; i++) {
      splitter.push(chunk, sink);
      peak = Math.max(peak, process.memoryUsage().arrayBuffers - base);
    }
    splitter.push(Buffer.from('\nnext\n'), sink);
    assert.ok(peak < 4 * 1024 * 1024, `held ${peak} bytes while skipping`);
    assert.deepEqual(lines, [['first', 6], ['next', 6 + 480 * 65536 + 6]]);
    assert.deepEqual(overlong, [[480 * 65536, 6 + 480 * 65536 + 1]]);
  });

  test('a line of exactly the cap passes; one byte more is skipped; a split line is joined', () => {
    const splitter = new LineSplitter(10);
    const out: string[] = [];
    const sink = { line: (t: string) => void out.push(t), overlong: (b: number) => void out.push(`<${b}>`) };
    splitter.push(Buffer.from('0123456789\n01234'), sink);
    splitter.push(Buffer.from('567890\nab'), sink);
    splitter.push(Buffer.from('c\n'), sink);
    assert.deepEqual(out, ['0123456789', '<11>', 'abc']);
  });
});
