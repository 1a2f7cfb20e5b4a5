/** Parsing `panicmode exec` limits: every bad value names its option. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseCpuPercent, parseMaxProcs, parseMemorySpec, parseTimeout, resolveMemory } from '../../src/exec/job-limits.js';

describe('exec limits', () => {
  it('--memory: binary sizes and a share of MemTotal', () => {
    assert.deepEqual(parseMemorySpec('512M'), { bytes: 512 * 1024 ** 2 });
    assert.deepEqual(parseMemorySpec('1.5g'), { bytes: 1.5 * 1024 ** 3 });
    assert.deepEqual(parseMemorySpec('64MiB'), { bytes: 64 * 1024 ** 2 });
    assert.deepEqual(parseMemorySpec('50%'), { percentOfTotal: 50 });
    assert.equal(resolveMemory({ percentOfTotal: 50 }, 8 * 1024 ** 3), 4 * 1024 ** 3);
    assert.equal(resolveMemory({ bytes: 10 }, 99), 10);
  });

  it('--memory: refused with the option named', () => {
    for (const bad of ['lots', '0%', '101%', '12', '-5M', '']) assert.throws(() => parseMemorySpec(bad), /^UsageError: --memory: /, bad);
  });

  it('--cpu: a percentage of one core, 1% to 100000%', () => {
    assert.equal(parseCpuPercent('50%'), 50);
    assert.equal(parseCpuPercent('250%'), 250);
    for (const bad of ['50', '0%', '0.5%', 'half']) assert.throws(() => parseCpuPercent(bad), /^UsageError: --cpu: /, bad);
  });

  it('--max-procs and --timeout', () => {
    assert.equal(parseMaxProcs('5'), 5);
    for (const bad of ['0', '-1', '2.5', 'five']) assert.throws(() => parseMaxProcs(bad), /^UsageError: --max-procs: /, bad);
    assert.equal(parseTimeout('1m30s'), 90_000);
    for (const bad of ['10', '0s', 'soon']) assert.throws(() => parseTimeout(bad), /^UsageError: --timeout: /, bad);
  });
});
