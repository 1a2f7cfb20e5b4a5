/**
 * Rule packs: the embedded default runs exactly the shipped packs (what
 * `panicmode test rules/` proves), `rules:` and `run --rules` include a pack, and a
 * bad pack is a config error naming the pack and the place.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultConfig, loadConfigFile } from '../../src/config/load.js';
import { PER_CPU_LOAD_RULE } from '../../src/config/default-config.js';
import { ConfigError } from '../../src/errors.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'pm-rule-packs-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const monitor = (name: string, threshold: unknown = 90) => `  - { name: ${name}, type: cpu_usage, threshold: ${JSON.stringify(threshold)}, actions: [alert_warning] }\n`;

test('the embedded default runs the shipped packs, monitor for monitor (load scaled per CPU)', async () => {
  const packs = [
    ...(await loadConfigFile(join(root, 'rules', 'host-pressure.yaml'))).monitors,
    ...(await loadConfigFile(join(root, 'rules', 'ssh.yaml'))).monitors,
  ];
  const def = defaultConfig().monitors;
  assert.equal(def.length, packs.length);
  def.forEach((m, i) => {
    const p = packs[i]!;
    if (m.name === PER_CPU_LOAD_RULE) assert.deepEqual(m, { ...p, threshold: p.threshold * availableParallelism() });
    else assert.deepEqual(m, p);
  });
  assert.ok(def.some((m) => m.name === PER_CPU_LOAD_RULE && m.type === 'load_average'), 'the per-CPU rule is still in the pack');
});

test('rules: includes packs relative to the config; a pack named twice counts once', async () => {
  writeFileSync(join(dir, 'a.yaml'), `monitors:\n${monitor('A high')}`);
  writeFileSync(join(dir, 'main.yaml'), `rules: [a.yaml, ./a.yaml]\nmonitors:\n${monitor('Own')}`);
  const c = await loadConfigFile(join(dir, 'main.yaml'));
  assert.deepEqual(c.monitors.map((m) => m.name), ['Own', 'A high']);
  // run --rules adds to the embedded default; the default's own packs are not doubled
  const d = defaultConfig([join(root, 'rules', 'ssh.yaml'), join(dir, 'a.yaml')]);
  assert.deepEqual(d.monitors.map((m) => m.name).slice(-4), ['SSH brute force', 'SSH connection flood', 'Connection rate high', 'A high']);
});

test('rules: names a shipped pack from any config; a file of that name beside the config wins', async () => {
  const own = mkdtempSync(join(tmpdir(), 'pm-rule-packs-shipped-'));
  try {
    writeFileSync(join(own, 'config.yaml'), 'rules: [ssh.yaml, processes.yaml]\n');
    const shipped = await loadConfigFile(join(own, 'config.yaml'));
    const names = shipped.monitors.map((m) => m.name);
    assert.ok(names.includes('Memory leak'), names.join(', '));
    assert.ok(shipped.monitors.some((m) => m.type === 'auth_failures'), names.join(', '));
    writeFileSync(join(own, 'ssh.yaml'), `monitors:\n${monitor('Local SSH copy')}`);
    const local = await loadConfigFile(join(own, 'config.yaml'));
    assert.ok(local.monitors.some((m) => m.name === 'Local SSH copy'));
    assert.ok(!local.monitors.some((m) => m.type === 'auth_failures'), 'the local file replaces the shipped one');
  } finally {
    rmSync(own, { recursive: true, force: true });
  }
});

test('a bad pack, or a monitor name taken twice, is a config error naming the pack', async () => {
  writeFileSync(join(dir, 'bad.yaml'), `monitors:\n${monitor('Bad', 'high')}`);
  writeFileSync(join(dir, 'clash.yaml'), `monitors:\n${monitor('Own')}`);
  writeFileSync(join(dir, 'main2.yaml'), `rules: [bad.yaml, clash.yaml, nowhere.yaml]\nmonitors:\n${monitor('Own')}`);
  const err = await loadConfigFile(join(dir, 'main2.yaml')).then(
    () => assert.fail('loaded'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ConfigError);
  assert.deepEqual(err.problems, [
    'rules[0] (bad.yaml): monitors[0].threshold: expected a number, got "high"',
    'rules[2] (nowhere.yaml): no such file',
    // the pack's monitor follows the config's own: the cross-checks refuse the name
    'monitors[1].name: "Own" is already the name of monitors[0]',
  ]);
});

test('panicmode run --rules with a bad pack exits 2 before anything starts', async () => {
  const r = await new Promise<{ code: number; stderr: string }>((resolve) => {
    const env: NodeJS.ProcessEnv = { ...process.env, PANICMODE_STATE_DIR: join(dir, 'state'), PANICMODE_FROM_SOURCE: '1' };
    delete env.PANICMODE_CONFIG;
    execFile(process.execPath, [join(root, 'bin', 'panicmode.js'), 'run', '--rules', join(dir, 'bad.yaml')], { cwd: root, env, timeout: 30_000 }, (e, _out, stderr) =>
      resolve({ code: e ? Number((e as { code?: number }).code ?? 1) : 0, stderr }),
    );
  });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /--rules \(\S+bad\.yaml\): monitors\[0\]\.threshold: expected a number, got "high"/);
});
