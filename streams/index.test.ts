import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as barrel from './index.js';

const here = dirname(fileURLToPath(import.meta.url));
const operatorFiles = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && f !== 'index.ts')
  .map((f) => f.replace(/\.ts$/, ''));

test('the barrel re-exports every operator file, alphabetically, and each file exports its namesake', () => {
  const source = readFileSync(`${here}/index.ts`, 'utf8');
  const reexported = [...source.matchAll(/from '\.\/([\w]+)\.js'/g)].map((m) => m[1]!);
  assert.deepEqual(reexported, [...operatorFiles].sort());
  for (const name of operatorFiles) {
    // the two non-operators: the breaker's state machine and the threshold predicate
    const exportName = ({ circuitBreaker: 'createCircuitBreaker', threshold: 'breaches' } as Record<string, string>)[name] ?? name;
    assert.equal(typeof (barrel as Record<string, unknown>)[exportName], 'function', `${exportName} exported`);
  }
});

test('streams/ imports only rxjs and its own files', () => {
  const all = readdirSync(here, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
  for (const f of all) {
    const text = readFileSync(`${here}/${f}`, 'utf8');
    for (const m of text.matchAll(/from '([^']+)'/g)) {
      const spec = m[1]!;
      assert.ok(spec === 'rxjs' || spec.startsWith('./') || spec.startsWith('../'), `${f} imports ${spec}`);
      if (spec.startsWith('../')) assert.ok(f.includes('/') && !spec.startsWith('../../'), `${f} reaches outside streams/: ${spec}`);
    }
  }
});
