/**
 * The pattern table against test/fixtures/logs/sshd.log: one generated test per sample
 * line, each checked against the expectation written above it, and every pattern must
 * be exercised by at least one sample (fail2ban's rule for filters).
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAuthLine } from '../../src/auth/parse-auth-line.js';
import { sshdPatterns } from '../../src/auth/sshd-patterns.js';

const samplePath = fileURLToPath(new URL('../fixtures/logs/sshd.log', import.meta.url));

interface Sample {
  lineNo: number;
  line: string;
  expect: Record<string, unknown> | null;
}

const loadSamples = (): Sample[] => {
  const lines = readFileSync(samplePath, 'utf8').split('\n');
  const samples: Sample[] = [];
  let pending: Record<string, unknown> | null | undefined;
  lines.forEach((line, i) => {
    if (line.startsWith('# failJSON: ')) {
      pending = JSON.parse(line.slice('# failJSON: '.length));
      return;
    }
    if (line === '# nomatch') {
      pending = null;
      return;
    }
    if (line.startsWith('#') || line === '') return;
    if (pending === undefined) throw new Error(`sshd.log:${i + 1}: sample line without an expectation above it`);
    samples.push({ lineNo: i + 1, line, expect: pending });
    pending = undefined;
  });
  return samples;
};

const samples = loadSamples();

describe('sshd patterns vs test/fixtures/logs/sshd.log', () => {
  for (const s of samples) {
    test(`line ${s.lineNo}: ${s.expect ? `${s.expect.kind} ${s.expect.ip}` : 'nomatch'}`, () => {
      const got = parseAuthLine(s.line);
      if (s.expect === null) {
        assert.equal(got, null, `line ${s.lineNo} should not match: ${s.line}`);
        return;
      }
      assert.ok(got, `line ${s.lineNo} should match: ${s.line}`);
      const { ts, ...rest } = s.expect as { ts?: string };
      for (const [k, v] of Object.entries(rest)) assert.deepEqual(got[k as keyof typeof got], v, `line ${s.lineNo}: ${k}`);
      if (!('user' in rest)) assert.equal(got.user, undefined, `line ${s.lineNo}: no user expected`);
      if (ts !== undefined) assert.equal(got.ts, Date.parse(ts), `line ${s.lineNo}: ts`);
      else assert.equal(typeof got.ts, 'number', `line ${s.lineNo}: a timestamp`);
    });
  }

  test('every pattern has at least one matching sample', () => {
    const covered = new Set(samples.filter((s) => s.expect).map((s) => (s.expect as { pattern: string }).pattern));
    const missing = sshdPatterns.filter((p) => !covered.has(p.id)).map((p) => p.id);
    assert.deepEqual(missing, [], `patterns without a sample: ${missing.join(', ')}`);
  });

  test('every sample expectation names a pattern of the table with its kind', () => {
    const byId = new Map(sshdPatterns.map((p) => [p.id, p]));
    for (const s of samples) {
      if (!s.expect) continue;
      const p = byId.get(s.expect.pattern as string);
      assert.ok(p, `line ${s.lineNo}: unknown pattern ${s.expect.pattern}`);
      assert.equal(p.kind, s.expect.kind, `line ${s.lineNo}: kind of ${p.id}`);
    }
  });

  test('pattern ids are unique and each regex starts with its prefix', () => {
    assert.equal(new Set(sshdPatterns.map((p) => p.id)).size, sshdPatterns.length);
    for (const p of sshdPatterns) {
      assert.ok(p.regex.sticky && p.regex.multiline, `${p.id}: sticky + multiline`);
      const unescaped = p.regex.source.replace(/\\(.)/g, '$1');
      assert.ok(unescaped.startsWith(p.prefix), `${p.id}: regex starts with its prefix`);
    }
  });
});

test('syslog timestamps are read as local time of the current year (December lines in January: last year)', () => {
  const f = parseAuthLine('Jan  2 03:04:05 h sshd[1]: Invalid user a from 192.0.2.1 port 2');
  assert.ok(f?.ts);
  const d = new Date(f.ts);
  assert.deepEqual([d.getMonth(), d.getDate(), d.getHours(), d.getMinutes(), d.getSeconds()], [0, 2, 3, 4, 5]);
  assert.ok(f.ts <= Date.now() + 86_400_000);
});
