/**
 * The process-table scan (readProcessTable): the byte parser on a reused buffer, the
 * scan on a fixture tree large enough to be sliced (it must give the event loop turns),
 * and on the real proc root with a real child of ours, read back field by field.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHost } from '../../src/host/host.js';
import { parsePidStat, parsePidStatBytes, readProcessTable } from '../../src/collectors/processes.js';
import { fixtureRoot } from './fixture-host.js';

const oddLine = readFileSync(join(fixtureRoot('host-t1'), '17727', 'stat'), 'utf8');

test('pid stat bytes: a short line read into a buffer that held a longer one parses as the short line alone', () => {
  const buf = Buffer.alloc(4096);
  const long = Buffer.from(oddLine);
  long.copy(buf);
  assert.deepEqual(parsePidStatBytes(buf, long.length), parsePidStat(oddLine));
  // a shorter, truncated line over it: the stale tail (with its ")" and 50 fields) must not complete it
  const short = Buffer.from('42 (x) S 1 2');
  short.copy(buf);
  assert.equal(parsePidStatBytes(buf, short.length), null);
  // a complete short line over it: its own fields, not the stale ones
  const ok = Buffer.from('42 (x) R 7 42 42 0 -1 0 0 0 0 0 5 6 0 0 20 0 1 0 900 1000 3\n');
  ok.copy(buf);
  assert.deepEqual(parsePidStatBytes(buf, ok.length), { pid: 42, ppid: 7, pgid: 42, sid: 42, name: 'x', state: 'R', cpuTicks: 11, startTicks: 900, rssBytes: 3 * 4096 });
  assert.equal(parsePidStatBytes(buf, 0), null, 'an empty read');
  assert.equal(parsePidStat('x (a) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22'), null, 'pid not a number');
  assert.equal(parsePidStat(oddLine.replace(' 413 ', ' 4x3 ')), null, 'rss not a number');
});

test('process table: a table of 1,000 pids is read in slices, with event-loop turns between them', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pm-table-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const rest = oddLine.slice(oddLine.indexOf(' ('));
  for (let pid = 1; pid <= 1000; pid++) {
    mkdirSync(join(dir, String(pid)));
    writeFileSync(join(dir, String(pid), 'stat'), `${pid}${rest}`);
  }
  cpSync(join(fixtureRoot('host-t1'), 'loadavg'), join(dir, 'loadavg')); // not a pid: skipped
  let turns = 0;
  let ticking = true;
  const tick = () => {
    turns++;
    if (ticking) setImmediate(tick);
  };
  setImmediate(tick);
  const table = await readProcessTable(createHost(dir));
  ticking = false;
  assert.equal(table.processes.size, 1000);
  assert.equal(table.processes.get(777)?.name, 'a b) c');
  assert.ok(turns >= 3, `the event loop turned ${turns} times during the scan`);
});

test('process table on the real proc root: a child of ours, field by field as /proc/[pid]/stat has it', async (t) => {
  const child = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
  t.after(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // gone already
    }
  });
  await new Promise((r) => child.once('spawn', r));
  const host = createHost();
  // sleep has exec'd once its name reads "sleep" (before, it is still node's fork)
  for (let i = 0; i < 100 && !readFileSync(host.procPath(child.pid!, 'comm'), 'utf8').startsWith('sleep'); i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
  const table = await readProcessTable(host);
  const p = table.processes.get(child.pid!);
  const fields = readFileSync(host.procPath(child.pid!, 'stat'), 'utf8').split(') ')[1].split(' ');
  assert.deepEqual(p, {
    pid: child.pid, ppid: process.pid, pgid: child.pid, sid: child.pid, name: 'sleep', state: fields[0],
    cpuTicks: Number(fields[11]) + Number(fields[12]), startTicks: Number(fields[19]), rssBytes: Number(fields[21]) * 4096,
  });
  assert.equal(table.processes.get(process.pid)?.name, 'node');
  assert.ok(table.processes.has(1));
});

test('process table: a root without pid directories is "no data here" (ENOENT), not an empty host', async () => {
  await assert.rejects(readProcessTable(createHost(fixtureRoot('broken'))), { code: 'ENOENT' });
  await assert.rejects(readProcessTable(createHost(join(tmpdir(), 'pm-no-such-root'))), { code: 'ENOENT' });
});
