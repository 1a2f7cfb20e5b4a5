/**
 * Issue 7 item 7: a `\r` or U+2028/U+2029 inside a line is an ordinary character. The
 * old patterns (JS multiline `$`, `.`) ended the line there, so
 * `Failed password for invalid user x from 192.0.2.203 port 1 ssh2\r from <real> ...`
 * framed 192.0.2.203 (checked against the old parser: it returned 192.0.2.203 for `\r`
 * and U+2028). The live agent (matchLine on each line) and replay (a whole chunk) use the
 * same matcher, and must agree.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuthLineMatcher } from '../../src/auth/parse-auth-line.js';
import { replayLog } from '../../src/auth/replay-log.js';
import { compileFilter } from '../../src/auth/filters/compile-filter.js';
import { decodeFilterDefinition } from '../../src/auth/filters/filter-definition.js';

const separators = ['\r', '\u2028', '\u2029', '\u0085', '\v', '\f'];
const forged = (sep: string, i: number) =>
  `Nov 21 10:00:0${i} web1 sshd[${100 + i}]: Failed password for invalid user x from 192.0.2.203 port 1 ssh2${sep} from 198.51.100.65 port ${4000 + i} ssh2`;

test('a line terminator inside a line never frames the address before it (live matcher)', () => {
  const m = new AuthLineMatcher();
  separators.forEach((sep, i) => {
    const f = m.matchLine(forged(sep, i), 0, forged(sep, i).length);
    assert.equal(f?.ip, '198.51.100.65', `separator U+${sep.charCodeAt(0).toString(16).padStart(4, '0')}`);
    assert.equal(f?.user, `x from 192.0.2.203 port 1 ssh2${sep}`);
  });
});

test('replay over the same bytes agrees with the live matcher, line by line', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'panicmode-terminators-'));
  try {
    const lines = separators.map(forged);
    // a CRLF file: the final \r of each line is the line's end, not part of it
    lines.push('Nov 21 10:00:09 web1 sshd[200]: Invalid user y from 198.51.100.66 port 5000\r');
    const path = join(dir, 'auth.log');
    writeFileSync(path, lines.join('\n') + '\n');
    const r = await replayLog(path, []);
    const live = new AuthLineMatcher();
    const liveIps: Record<string, number> = {};
    for (const l of lines) {
      const f = live.matchLine(l, 0, l.length);
      if (f) liveIps[f.ip] = (liveIps[f.ip] ?? 0) + 1;
    }
    assert.deepEqual(r.failures_by_ip, { '198.51.100.65': separators.length, '198.51.100.66': 1 });
    assert.deepEqual(r.failures_by_ip, liveIps);
    assert.equal(r.lines, lines.length);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a user filter's `.`, `\\s`, negated classes and `$` stop at the newline only", () => {
  const def = decodeFilterDefinition(
    { name: 't', patterns: [{ id: 'p', kind: 'k', regex: 'bad [^!]*?\\s.*for <HOST>$' }] },
    'inline',
  );
  const m = new AuthLineMatcher({ filter: compileFilter(def) });
  const line = 'Nov 21 10:00:01 h t: bad x\r y for 192.0.2.1\u2028 for 198.51.100.7';
  assert.equal(m.matchLine(line, 0, line.length)?.ip, '198.51.100.7');
  // in a chunk, nothing crosses into the next line
  const chunk = 'Nov 21 10:00:01 h t: bad x\nfor 198.51.100.8\n';
  assert.equal(m.scanLine(chunk, 0, chunk.indexOf('\n')), false);
});
