/**
 * The process anomaly and PSI monitor keys: each has a range and an effect. A value
 * out of range, or a key on a type that does not read it, is refused by check-config
 * (exit 2) naming its place; the seed's defaults apply when the keys are absent.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfigFile } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'pm-anomaly-keys-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const problemsOf = async (monitors: string): Promise<string[]> => {
  const path = join(dir, `c${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(path, `monitors:\n${monitors}`);
  try {
    await loadConfigFile(path);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
};

test('ranges: samples 2..100, multiplier 1.1..100, psi some|full, thresholds per type', async () => {
  assert.deepEqual(
    await problemsOf(
      [
        '  - { name: a, type: memory_leak, threshold: 10, samples: 1 }',
        '  - { name: b, type: process_cpu_spike, threshold: 80, multiplier: 1 }',
        '  - { name: c, type: memory_pressure, threshold: 60, psi: half }',
        '  - { name: d, type: memory_pressure, threshold: 120 }',
        '  - { name: e, type: memory_leak, threshold: 0 }',
        '  - { name: f, type: process_growth, threshold: -5 }',
      ].join('\n'),
    ),
    [
      'monitors[0].samples: expected a whole number from 2 to 100, got 1',
      'monitors[1].multiplier: expected a number from 1.1 to 100, got 1',
      'monitors[2].psi: expected one of some, full, got "half"',
      'monitors[3].threshold: a memory_pressure threshold is a share of time stalled, %: expected from 0 to 100, got 120',
      'monitors[4].threshold: a memory_leak threshold is MB/min of RSS growth; 0 would call any rise a leak: expected above 0, got 0',
      'monitors[5].threshold: a process_growth threshold is processes started per second: expected above 0, got -5',
    ],
  );
});

test('every key has an effect: samples, multiplier and psi on a type that does not read them are refused', async () => {
  assert.deepEqual(
    await problemsOf(
      [
        '  - { name: a, type: cpu_usage, threshold: 90, samples: 5 }',
        '  - { name: b, type: memory_leak, threshold: 10, multiplier: 3 }',
        '  - { name: c, type: zombie_processes, threshold: 5, psi: full }',
      ].join('\n'),
    ),
    [
      'monitors[0].samples: only memory_leak and process_cpu_spike monitors count reads (this one is cpu_usage)',
      'monitors[1].multiplier: only process_cpu_spike monitors compare with a multiple of an average (this one is memory_leak)',
      'monitors[2].psi: only cpu_pressure, memory_pressure and io_pressure monitors read a PSI line (this one is zombie_processes)',
    ],
  );
  // the shipped pack is valid as written
  assert.equal((await loadConfigFile(join(root, 'rules', 'processes.yaml'))).monitors.length, 5);
});

test('check-config exits 2 on a bad key, naming its place', async () => {
  const path = join(dir, 'bad.yaml');
  writeFileSync(path, 'monitors:\n  - { name: spike, type: process_cpu_spike, threshold: 80, multiplier: 0.5 }\n');
  const r = await new Promise<{ code: number; stderr: string }>((resolve) => {
    const env: NodeJS.ProcessEnv = { ...process.env, PANICMODE_STATE_DIR: join(dir, 'state'), PANICMODE_FROM_SOURCE: '1' };
    delete env.PANICMODE_CONFIG;
    execFile(process.execPath, [join(root, 'bin', 'panicmode.js'), 'check-config', '--config', path], { cwd: root, env, timeout: 30_000 }, (e, _o, stderr) =>
      resolve({ code: e ? Number((e as { code?: number }).code ?? 1) : 0, stderr }),
    );
  });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /monitors\[0\]\.multiplier: expected a number from 1\.1 to 100, got 0\.5/);
});
