/**
 * The connection table's bounds: entries expire on the log's clock, a pid from another
 * host (or reused later) is a new connection, memory stays fixed however many pids a
 * log holds, and what it forgets only costs attribution of address-less lines.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { originHash, SessionTable } from '../../src/auth/filters/session-table.js';
import { AuthLineMatcher } from '../../src/auth/parse-auth-line.js';

const web1 = originHash('web1 sshd', 0, 9);
const web2 = originHash('web2 sshd', 0, 9);

test('a connection is found again until it expires; another origin or a stale entry is a new one', () => {
  const t = new SessionTable({ maxEntries: 8, maxAgeMs: 1000 });
  const s = t.find(42, web1, 0, true);
  t.host[s] = '198.51.100.1';
  assert.equal(t.find(42, web1, 999, false), s);
  assert.equal(t.find(42, web2, 999, false), -1, 'same pid on another host: not this connection');
  assert.notEqual(t.find(42, web2, 999, true), s, 'and its own slot');
  const again = t.find(42, web1, 999, true);
  assert.equal(again, s, 'the first host\'s connection is still there');
  assert.equal(t.find(42, web1, 2000, false), -1, 'older than maxAgeMs after its last line');
  assert.equal(t.host[t.find(42, web1, 2000, true)], undefined, 'a new connection starts empty');
  t.delete(42, web1);
  assert.equal(t.find(42, web1, 2000, false), -1);
});

test('fixed memory: a million pids never grow the table; recent connections survive', () => {
  const t = new SessionTable({ maxEntries: 1000, maxAgeMs: 60_000 });
  for (let pid = 1; pid <= 1_000_000; pid++) t.find(pid, web1, pid, true);
  // the arrays were sized at construction (≤ 2 × maxEntries rounded to sets of 4)
  assert.ok(t.held.length <= 2048, `slots: ${t.held.length}`);
  let recent = 0;
  for (let pid = 999_901; pid <= 1_000_000; pid++) if (t.find(pid, web1, 1_000_000, false) >= 0) recent++;
  assert.ok(recent >= 90, `most of the 100 newest connections are kept (${recent})`);
});

test('through the matcher: an address-less failure takes the address of its own connection only', () => {
  const m = new AuthLineMatcher();
  const lines = [
    'Nov 21 10:00:01 web1 sshd[7]: Connection from 198.51.100.7 port 1 on 192.0.2.1 port 22',
    'Nov 21 10:00:01 web2 sshd[7]: Disconnecting: Too many authentication failures [preauth]',
    'Nov 21 10:00:02 web1 sshd[7]: Disconnecting: Too many authentication failures [preauth]',
    // 6 minutes later the pid is another connection: nothing to attribute
    'Nov 21 10:06:03 web1 sshd[7]: Disconnecting: Too many authentication failures [preauth]',
  ];
  assert.deepEqual(
    lines.map((l) => m.matchLine(l, 0, l.length)?.ip ?? null),
    [null, null, '198.51.100.7', null],
  );
});
