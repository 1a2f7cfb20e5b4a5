/**
 * `panicmode replay` from the build, as installed (what `npm run build` makes: tsc, the
 * bundle bin/panicmode.js runs, the pre-parsed shipped filters): it reads the shipped
 * filters pre-parsed, gives what the sources give, and does not serve a filter file
 * changed since the build from the pre-parsed copy. Built into a temporary copy of the
 * package layout (bin, dist, rules).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { replayLog } from '../../src/auth/replay-log.js';
import { defaultBruteForceRule } from '../../src/auth/brute-force-rule.js';
import { loadFilter } from '../../src/auth/filters/load-filter.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
let pkg: string;

before(() => {
  pkg = mkdtempSync(join(tmpdir(), 'panicmode-built-'));
  mkdirSync(join(pkg, 'bin'));
  cpSync(join(root, 'bin', 'panicmode.js'), join(pkg, 'bin', 'panicmode.js'));
  cpSync(join(root, 'rules'), join(pkg, 'rules'), { recursive: true });
  symlinkSync(join(root, 'node_modules'), join(pkg, 'node_modules'));
  // what `npm run build` runs, into the copy
  const tsc = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.build.json'), '--outDir', join(pkg, 'dist')], { encoding: 'utf8' });
  assert.equal(tsc.status, 0, tsc.stdout + tsc.stderr);
  const bundle = spawnSync(process.execPath, [join(root, 'scripts', 'bundle.mjs'), join(pkg, 'dist')], { encoding: 'utf8', cwd: root });
  assert.equal(bundle.status, 0, bundle.stdout + bundle.stderr);
  const pre = spawnSync(process.execPath, [join(pkg, 'dist', 'src', 'auth', 'filters', 'shipped-filters.js')], { encoding: 'utf8' });
  assert.equal(pre.status, 0, pre.stderr);
});
after(() => rmSync(pkg, { recursive: true, force: true }));

const env: NodeJS.ProcessEnv = { ...process.env, PANICMODE_CONFIG: '' };
delete env.PANICMODE_FROM_SOURCE;
const replay = (...args: string[]) => spawnSync(process.execPath, [join(pkg, 'bin', 'panicmode.js'), 'replay', ...args], { encoding: 'utf8', env });

test('the built CLI reads the shipped filters (pre-parsed) and agrees with the sources', async () => {
  assert.ok(existsSync(join(pkg, 'dist', 'shipped-filters.json')), 'npm run build pre-parses the shipped filters');
  assert.ok(existsSync(join(pkg, 'dist', 'bundle', 'main.js')), 'the bin runs the bundle');
  for (const [filter, mode] of [['sshd', 'aggressive'], ['postfix', undefined]] as const) {
    const log = join(root, 'rules', 'filters', `${filter}.samples.log`);
    const r = replay('--log', log, '--filter', filter, ...(mode ? ['--mode', mode] : []), '--json');
    assert.equal(r.status, 0, r.stderr);
    const rule = filter === 'sshd' ? defaultBruteForceRule : { ...defaultBruteForceRule, name: `${filter} brute force`, monitorType: 'log_failures', counted: `${filter} failures` };
    const fromSources = await replayLog(log, [rule], { filter: loadFilter(filter, mode) });
    assert.deepEqual(JSON.parse(r.stdout), JSON.parse(JSON.stringify(fromSources)));
    assert.ok(fromSources.matched > 0);
  }
});

test('a shipped filter changed since the build is read again, not taken from the pre-parsed copy', () => {
  writeFileSync(join(pkg, 'rules', 'filters', 'dovecot.yaml'), 'name: dovecot\npatterns: [unclosed\n');
  const r = replay('--log', join(root, 'rules', 'filters', 'dovecot.samples.log'), '--filter', 'dovecot', '--json');
  assert.equal(r.status, 2, r.stdout);
  assert.match(r.stderr, /dovecot\.yaml.*not valid YAML/s);
});
