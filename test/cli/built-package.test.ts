/**
 * The built package (what `npm start` and an installed panicmode run: dist/src/...)
 * finds the shipped rules/ at the package root. Regression: the filter loader looked
 * for dist/rules/filters, so in the build every config with an SSH monitor — the
 * embedded default included — was refused ("no such filter file"), and the rule packs'
 * tests could not load.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
// at the package root, like dist/ (a dot directory: not part of tsconfig's include)
const out = join(root, `.dist-test-${process.pid}`);
after(() => rmSync(out, { recursive: true, force: true }));

const exec = (file: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
  new Promise((resolve) => {
    const env: NodeJS.ProcessEnv = { ...process.env, PANICMODE_STATE_DIR: join(out, 'state') };
    delete env.PANICMODE_CONFIG;
    execFile(file, args, { cwd: root, env, timeout: 180_000 }, (e, stdout, stderr) =>
      resolve({ code: e ? Number((e as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });

test('built: the embedded default loads and panicmode test rules/ passes', async () => {
  const build = await exec(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.build.json'), '--outDir', out]);
  assert.equal(build.code, 0, build.stdout + build.stderr);
  const cli = (args: string[]) => exec(process.execPath, ['--input-type=module', '-e', `const { main } = await import(${JSON.stringify(join(out, 'src', 'cli', 'main.js'))}); process.exitCode = await main(${JSON.stringify(args)});`]);
  const check = await cli(['check-config']);
  assert.equal(check.code, 0, check.stdout + check.stderr);
  assert.match(check.stdout, /^OK: <embedded default>: 14 monitors/);
  const rules = await cli(['test', 'rules/']);
  assert.equal(rules.code, 0, rules.stdout + rules.stderr);
  assert.match(rules.stdout, /(\d+) tests: \1 passed, 0 failed/);

  // `panicmode/testing` (package.json exports) points at what the build produced
  const exported = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).exports['./testing'];
  const built = (p: string) => join(out, p.replace(/^\.\/dist\//, ''));
  assert.ok(existsSync(built(exported.types)), exported.types);
  const api = await import(built(exported.default));
  assert.equal(typeof api.buildRulePipeline, 'function');
  assert.equal(typeof api.testConfig, 'function');
});
