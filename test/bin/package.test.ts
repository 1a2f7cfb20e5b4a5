/**
 * What a new user meets before the agent even starts: tsx is a development dependency
 * (the published package runs `dist/`), the bin says plainly what to do when neither a
 * build nor tsx is there, and every npm script names files that exist.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  scripts: Record<string, string>;
};

test('tsx is a development dependency, not a runtime one', () => {
  assert.equal(pkg.dependencies.tsx, undefined);
  assert.ok(pkg.devDependencies.tsx);
  const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as { packages: Record<string, { dev?: boolean }> };
  assert.equal(lock.packages['node_modules/tsx']?.dev, true, 'the lock file agrees');
});

test('every file an npm script runs exists', () => {
  for (const [name, script] of Object.entries(pkg.scripts)) {
    // (a path under dist/ is the build's output, run after the build made it: not checked)
    for (const [file] of script.matchAll(/(?<![\w./-])(?:bin|test|src|streams|scripts)\/[\w./-]+\.(?:ts|js|mjs)\b/g)) {
      assert.ok(existsSync(file), `npm run ${name}: ${file} does not exist`);
    }
    // a compiled module the build then runs: its source exists
    for (const [, file] of script.matchAll(/\bdist\/((?:src|streams)\/[\w./-]+)\.js\b/g)) {
      assert.ok(existsSync(`${file}.ts`), `npm run ${name}: ${file}.ts (compiled to dist/${file}.js) does not exist`);
    }
  }
});

test('the bin without a build and without tsx says what to do and exits 1', (t) => {
  // A copy of the package's bin alone: no dist/ beside it, no node_modules above it.
  const root = mkdtempSync(join(tmpdir(), 'pm-bin-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'bin'));
  copyFileSync('bin/panicmode.js', join(root, 'bin', 'panicmode.js'));
  writeFileSync(join(root, 'package.json'), '{"type":"module"}');
  const r = spawnSync(process.execPath, [join(root, 'bin', 'panicmode.js'), '--help'], {
    encoding: 'utf8',
    env: { ...process.env, PANICMODE_FROM_SOURCE: '' },
  });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /PANICMODE_ERR_CLI_NO_BUILD: there is no build at .*dist\/src\/cli\/main\.js/);
  assert.match(r.stderr, /npm install && npm run build/);
  assert.doesNotMatch(r.stderr, /at .*\(node:internal/, 'no stack trace');
});
