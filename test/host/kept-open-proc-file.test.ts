import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHost } from '../../src/host/host.js';
import { parseLoadavg } from '../../src/collectors/load.js';

const openFds = () => readdirSync('/proc/self/fd').length;

describe('Host.openProcFile (kept open, one pread per read)', () => {
  test('each read is the text as it is now, from one descriptor; close releases it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pm-kept-open-'));
    try {
      const host = createHost(dir);
      writeFileSync(join(dir, 'loadavg'), '0.10 0.20 0.30 1/99 1234\n');
      const before = openFds();
      const f = host.openProcFile('loadavg');
      assert.equal(f.read(), '0.10 0.20 0.30 1/99 1234\n');
      assert.equal(openFds(), before + 1, 'kept open after a read');
      writeFileSync(join(dir, 'loadavg'), '0.50 0.20 0.30 2/150 1300\n'); // same inode, rewritten
      assert.equal(f.read(), '0.50 0.20 0.30 2/150 1300\n');
      assert.equal(openFds(), before + 1, 'still one descriptor');
      f.close();
      assert.equal(openFds(), before);
      f.close(); // twice: nothing to do
      assert.equal(f.read(), '0.50 0.20 0.30 2/150 1300\n', 'a read after close opens it again');
      f.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a text longer than the buffer comes whole; a missing file throws ENOENT and is opened once it exists', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pm-kept-open-'));
    try {
      const host = createHost(dir);
      const f = host.openProcFile('stat');
      assert.throws(() => f.read(), (err: NodeJS.ErrnoException) => err.code === 'ENOENT');
      const long = `cpu ${'1 '.repeat(700)}\n`;
      writeFileSync(join(dir, 'stat'), long);
      assert.equal(f.read(), long);
      assert.equal(f.read(), long);
      f.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('procfs makes the text afresh at each pread from the start (the real loadavg)', () => {
    const f = createHost().openProcFile('loadavg');
    try {
      const a = parseLoadavg(f.read());
      const b = parseLoadavg(f.read());
      assert.ok(a.totalTasks > 0 && b.totalTasks > 0);
    } finally {
      f.close();
    }
  });
});
