/**
 * The PSI collector: the parser on the kernel's exact lines, the collector on the real
 * fixture trees (copied from this machine's /proc/pressure), a broken file, and a proc
 * root without PSI ("no data here").
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHost } from '../../src/host/host.js';
import { createPressureCollector, parsePsi } from '../../src/collectors/pressure.js';
import { isNoDataError } from '../../src/collectors/collector.js';
import { CollectorError } from '../../src/errors.js';
import { fixtureRoot } from './fixture-host.js';
import { firstValueFrom, timeout } from 'rxjs';
import { metricsStream } from '../../src/collectors/metrics-stream.js';
import { memoryLogger } from '../../src/log/logger.js';
import { compileMonitors } from '../../src/rules/compile-monitors.js';
import { compileRule } from '../../src/rules/compile-rule.js';

test('parsePsi: some and full lines, avg10 and avg60', () => {
  const f = parsePsi('memory', 'some avg10=12.50 avg60=3.04 avg300=0.71 total=91823\nfull avg10=8.00 avg60=1.10 avg300=0.20 total=5012\n');
  assert.deepEqual(f, { some: { avg10: 12.5, avg60: 3.04 }, full: { avg10: 8, avg60: 1.1 } });
});

test('parsePsi: cpu before Linux 5.13 has no full line', () => {
  assert.deepEqual(parsePsi('cpu', 'some avg10=0.00 avg60=0.10 avg300=0.00 total=1\n'), { some: { avg10: 0, avg60: 0.1 }, full: null });
});

test('parsePsi: no some line is a CollectorError naming the file', () => {
  assert.throws(() => parsePsi('io', 'garbage\n'), (e: unknown) => e instanceof CollectorError && /^pressure: pressure\/io: expected a "some/.test(e.message));
  assert.throws(() => parsePsi('io', 'some avg10=x avg60=0 avg300=0 total=0\n'), CollectorError);
});

test('the collector on the real fixture tree agrees with the files', async () => {
  const host = createHost(fixtureRoot('host-t1'));
  const s = (await createPressureCollector().read(host))!;
  const line = (r: string, kind: string, avg: string) => Number(new RegExp(`^${kind} .*avg${avg}=([\\d.]+)`, 'm').exec(readFileSync(host.procPath('pressure', r), 'utf8'))![1]);
  assert.equal(s.memoryFullAvg10, line('memory', 'full', '10'));
  assert.equal(s.memorySomeAvg60, line('memory', 'some', '60'));
  assert.equal(s.cpuSomeAvg10, line('cpu', 'some', '10'));
  assert.equal(s.ioFullAvg60, line('io', 'full', '60'));
  assert.equal(createPressureCollector().derive(undefined, s, 0), s, 'every reading is a sample');
});

test('a broken file fails with a CollectorError; a root without PSI is "no data here"', async (t) => {
  await assert.rejects(createPressureCollector().read(createHost(fixtureRoot('broken'))), (e: unknown) => e instanceof CollectorError && /pressure\/cpu/.test(e.message));
  const dir = mkdtempSync(join(tmpdir(), 'pm-nopsi-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  await assert.rejects(createPressureCollector().read(createHost(dir)), (e: unknown) => isNoDataError(e));
});

test("this machine's own PSI, through the real proc root (skipped where the kernel has none)", async (t) => {
  const host = createHost();
  let s;
  try {
    s = await createPressureCollector().read(host);
  } catch (err) {
    if (isNoDataError(err)) return t.skip('no PSI on this kernel');
    throw err;
  }
  for (const [k, v] of Object.entries(s)) {
    // NaN only for cpu full before Linux 5.13
    if (Number.isNaN(v)) assert.match(k, /^cpuFull/);
    else assert.ok(v >= 0 && v <= 100, `${k} = ${v}`);
  }
});

test('a memory_pressure monitor fires from the real /proc/pressure/memory through the metrics stream (threshold 0, inclusive)', async (t) => {
  if (!(await createPressureCollector().read(createHost()).then(() => true, (e: unknown) => (isNoDataError(e) ? false : Promise.reject(e))))) return t.skip('no PSI');
  const spec = compileMonitors([{ name: 'Memory pressure', type: 'memory_pressure', psi: 'some', threshold: 0, inclusive: true, actions: [] }]).rules[0]!;
  const metrics$ = metricsStream(createHost(), { intervalMs: 200, timeoutMs: 1000, collectors: [createPressureCollector()], logger: memoryLogger() });
  const incident = await firstValueFrom(metrics$.pipe(compileRule(spec), timeout(10_000)));
  assert.equal(incident.status, 'firing');
  assert.ok(incident.metadata.currentValue >= 0 && incident.metadata.currentValue <= 100);
  assert.match(incident.description, /^memory pressure \(avg10\) [\d.]+% ≥ 0%$/);
});
