/**
 * Every shipped filter against its annotated samples (rules/filters/<name>.samples.log):
 * one generated test per sample line and mode, each checked against the expectation
 * written above it, lines fed in order through one parser per mode (connections carry
 * across lines); and every pattern must have a matching sample in each mode where it
 * is active (fail2ban's rule for filters).
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AuthLineMatcher } from '../../src/auth/parse-auth-line.js';
import { loadFilter, loadFilterDefinition, shippedFiltersDir } from '../../src/auth/filters/load-filter.js';
import { effectIn } from '../../src/auth/filters/filter-definition.js';

interface Expectation {
  modes?: string[];
  match?: false;
  host?: string;
  user?: string;
  pattern?: string;
  kind?: string;
  count?: number;
  bannable?: false;
  ts?: string;
}
interface Sample {
  lineNo: number;
  line: string;
  expects: Expectation[];
}

const loadSamples = (path: string): Sample[] => {
  const samples: Sample[] = [];
  let pending: Expectation[] = [];
  // split at \n only: a \r or U+2028 inside a sample line is part of it
  readFileSync(path, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (line.startsWith('# expect: ')) {
        pending.push(JSON.parse(line.slice('# expect: '.length)));
        return;
      }
      if (line.startsWith('#') || line === '') return;
      if (pending.length === 0) throw new Error(`${path}:${i + 1}: sample line without an expectation above it`);
      samples.push({ lineNo: i + 1, line, expects: pending });
      pending = [];
    });
  return samples;
};

for (const file of readdirSync(shippedFiltersDir).filter((f) => f.endsWith('.yaml'))) {
  const name = file.replace(/\.yaml$/, '');
  const def = loadFilterDefinition(name);
  const samples = loadSamples(join(shippedFiltersDir, `${name}.samples.log`));
  describe(`filter ${name} vs ${name}.samples.log`, () => {
    for (const mode of def.modes) {
      const matcher = new AuthLineMatcher({ filter: loadFilter(name, mode) });
      const covered = new Set<string>();
      for (const s of samples) {
        const e = s.expects.find((x) => !x.modes || x.modes.includes(mode));
        // run every line in order (connections), check those with an expectation for this mode
        const hit = matcher.scanLine(s.line, 0, s.line.length);
        const got = { ip: matcher.ip, host: matcher.host, patternId: matcher.patternId, kind: matcher.kind, user: matcher.user, count: matcher.count, ts: matcher.ts };
        if (!e) continue;
        test(`${mode} line ${s.lineNo}: ${e.match === false ? 'no failure' : `${e.pattern} ${e.host}`}`, () => {
          if (e.match === false) {
            assert.equal(hit, false, `line ${s.lineNo} should record no failure in ${mode} mode: ${s.line}`);
            return;
          }
          assert.ok(hit, `line ${s.lineNo} should record a failure in ${mode} mode: ${s.line}`);
          assert.equal(got.ip ?? got.host, e.host, 'host');
          assert.equal(got.ip === null, e.bannable === false, 'bannable');
          assert.equal(got.patternId, e.pattern, 'pattern');
          if (e.kind !== undefined) assert.equal(got.kind, e.kind, 'kind');
          assert.equal(got.user, e.user, 'user');
          assert.equal(got.count, e.count ?? 1, 'count');
          if (e.ts !== undefined) assert.equal(got.ts, Date.parse(e.ts), 'ts');
        });
        // a held failure or one waiting for its address fires without a failure on its own line
        if (got.patternId) covered.add(got.patternId);
      }
      test(`${mode}: every failure pattern active in this mode fires on a sample`, () => {
        const missing = def.patterns
          .filter((p) => {
            const eff = effectIn(p, mode);
            return (eff === 'failure' || eff === 'held') && !covered.has(p.id);
          })
          .map((p) => p.id);
        assert.deepEqual(missing, [], `patterns without a sample in ${mode} mode: ${missing.join(', ')}`);
      });
    }
    test('every pattern (helpers included) fires on some sample line in some mode', () => {
      const fired = new Set<string>();
      for (const mode of def.modes) {
        const matcher = new AuthLineMatcher({ filter: loadFilter(name, mode) });
        for (const s of samples) {
          matcher.scanLine(s.line, 0, s.line.length);
          if (matcher.patternId) fired.add(matcher.patternId);
        }
      }
      const missing = def.patterns.filter((p) => !fired.has(p.id)).map((p) => p.id);
      assert.deepEqual(missing, [], `patterns never matched by a sample: ${missing.join(', ')}`);
    });
  });
}
