/**
 * What a rule test's windowed value means (src/testing/fixture-windows.ts): each
 * collector field averages the window since the previous snapshot that had it, the first
 * one the check interval before it; and a cpu_usage rule counts its duration from there.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixtureWindows } from '../../src/testing/fixture-windows.js';
import { runRuleTestFile, snapshot } from '../../src/testing/index.js';

test('a field\'s window reaches back to its previous sample, across a gap; the first one a check interval', () => {
  const windowed = fixtureWindows(5000);
  const at = (ts: number, values: Record<string, number>) => windowed({ ...snapshot(values), ts }).windows;
  assert.deepEqual(at(0, { 'cpu.usagePercent': 50, 'memory.usagePercent': 10 }), { cpu: 5000, memory: 5000 });
  assert.deepEqual(at(5000, { 'cpu.usagePercent': 50 }), { cpu: 5000 });
  assert.deepEqual(at(10_000, { 'memory.usagePercent': 10 }), { memory: 10_000 });
  assert.deepEqual(at(15_000, { 'cpu.usagePercent': 50, 'memory.usagePercent': 10 }), { cpu: 10_000, memory: 5000 });
  // a snapshot that says its own windows keeps them
  assert.deepEqual(windowed({ ...snapshot({ 'cpu.usagePercent': 1 }), ts: 20_000, windows: { cpu: 1 } }).windows, { cpu: 1 });
});

test('in a rule test, CPU busy from the second 5 s sample on is busy from 0 s: a 10 s duration is met at 10 s; memory at 15 s', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pm-fixture-windows-'));
  try {
    const file = join(dir, 'windows.test.yaml');
    writeFileSync(
      file,
      `config:
  anomaly: { enabled: false }
  monitors:
    - { name: cpu, type: cpu_usage, threshold: 80, duration: 10s, actions: [alert_warning] }
    - { name: memory, type: memory_usage, threshold: 80, duration: 10s, actions: [alert_warning] }
interval: 5s
tests:
  - name: windows
    metrics: { cpu.usagePercent: "50 95x4", memory.usagePercent: "50 95x4" }
    expect:
      incidents:
        - { at: 10s, name: cpu, status: firing }
        - { at: 15s, name: memory, status: firing }
`,
    );
    const [result] = await runRuleTestFile(file);
    assert.ok(result?.passed, JSON.stringify(result?.kinds, null, 2));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
