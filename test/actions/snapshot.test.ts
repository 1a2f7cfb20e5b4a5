/**
 * The snapshot action: a diagnostic bundle read by PanicMode from the proc root.
 * On a fixture tree (test/fixtures/proc/snapshot-host: host-t1's processes with command
 * lines, a small socket table with two remote peers and a loopback one, PSI files), on
 * the real /proc with real children of ours (a sleeper whose command line the bundle must
 * hold, a CPU burner it must rank first), pruning, a hanging extra command cut at its
 * timeout, and the config keys reaching the action through the registry.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHost, type Host } from '../../src/host/host.js';
import type { Incident } from '../../src/model/incident.js';
import { snapshotAction, type SnapshotOptions } from '../../src/actions/snapshot.js';
import { bundleSections } from '../../src/snapshot/snapshot-config.js';
import { snapshotFileName, snapshotsToPrune } from '../../src/snapshot/snapshot-files.js';
import type { SnapshotDocument } from '../../src/snapshot/snapshot-document.js';
import { readTcpTable } from '../../src/collectors/network.js';
import { buildActions } from '../../src/actions/registry.js';
import { decodeConfig, loadConfigText } from '../../src/config/load.js';
import { memoryLogger } from '../../src/log/logger.js';
import { fixtureRoot } from '../collectors/fixture-host.js';
import { testDeps } from './process-deps.js';
import { defaultMassFreezePolicy } from '../../src/config/mass-freeze.js';

const incident = (name: string, ts = Date.UTC(2026, 11, 1, 1, 2, 3, 456)): Incident => ({
  key: name, name, severity: 'critical', description: `${name} happened`, actions: ['snapshot'],
  metadata: { monitorType: 'cpu_usage', threshold: 90, currentValue: 99, details: '' }, ts, status: 'firing', count: 1,
});

const tempDir = (t: { after(f: () => void): void }, prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
};

const options = (dir: string, more: Partial<SnapshotOptions> = {}): SnapshotOptions => ({
  dir, maxSnapshots: 50, sections: new Set(bundleSections), commands: {}, commandTimeoutMs: 5000, cpuSampleMs: 0, ...more,
});

const take = async (host: Host, o: SnapshotOptions, inc = incident('cpu saturated')) => {
  const r = await snapshotAction('snapshot', host, o).run({ incident: inc, dryRun: false, signal: new AbortController().signal });
  const text = readFileSync(r.target!, 'utf8');
  return { r, text, doc: JSON.parse(text) as SnapshotDocument };
};

/** Spawns a child in its own process group; the group is killed after the test, whatever happens. */
const child = (t: { after(f: () => void): void }, file: string, args: string[]): ChildProcess => {
  const c = spawn(file, args, { detached: true, stdio: 'ignore' });
  t.after(() => {
    try {
      process.kill(-c.pid!, 'SIGKILL');
    } catch {
      // gone already
    }
  });
  return c;
};

test('snapshot on a fixture tree: every section, from the proc root alone; 0600 file in a 0700 dir, named by time and incident', async (t) => {
  const dir = join(tempDir(t, 'pm-snap-'), 'snapshots'); // created by the action
  const host = createHost(fixtureRoot('snapshot-host'));
  const { r, doc, text } = await take(host, options(dir, { top: 2 }));

  assert.equal(r.outcome, 'ok');
  assert.equal(r.target, join(dir, 'snapshot-2026-12-01T01-02-03-456Z-cpu-saturated.json'));
  assert.match(r.summary, /^snapshot saved to .*cpu-saturated\.json$/);
  assert.equal(statSync(dir).mode & 0o777, 0o700);
  assert.equal(statSync(r.target!).mode & 0o777, 0o600);

  assert.equal(doc.format, 'panicmode-snapshot/1');
  assert.deepEqual(doc.incident, {
    name: 'cpu saturated', severity: 'critical', status: 'firing', description: 'cpu saturated happened', at: '2026-12-01T01:02:03.456Z', key: 'cpu saturated',
  });
  assert.equal(doc.procRoot, fixtureRoot('snapshot-host'));
  assert.deepEqual(doc.unavailable, {});
  assert.deepEqual(doc.sections, [...bundleSections]);

  // processes: all four, with their command lines; an empty one shows as [name], as ps does
  assert.equal(doc.processCount, 4);
  const byPid = new Map(doc.processes!.map((p) => [p.pid, p]));
  assert.equal(byPid.get(17726)!.cmdline, 'sh -c while :; do :; done');
  assert.equal(byPid.get(17704)!.cmdline, 'node capture.mjs --out host-t1');
  assert.equal(byPid.get(17727)!.cmdline, '[a b) c]');
  const burnerStat = readFileSync(join(fixtureRoot('snapshot-host'), '17726', 'stat'), 'utf8').split(') ')[1]!.split(' ');
  assert.equal(byPid.get(17726)!.cpuSeconds, (Number(burnerStat[11]) + Number(burnerStat[12])) / 100);
  assert.equal(byPid.get(17726)!.rssBytes, Number(burnerStat[21]) * 4096);
  assert.equal(byPid.get(17726)!.state, 'R');
  // one process per line, so the file reads like a process list too
  assert.ok(text.split('\n').some((l) => l.startsWith('    {"pid":17726,') && l.includes('"cmdline":"sh -c while :; do :; done"')));

  // top consumers by memory, with the uid from status
  const uid1 = Number(/^Uid:\s+(\d+)/m.exec(readFileSync(join(fixtureRoot('snapshot-host'), '1', 'status'), 'utf8'))![1]);
  assert.equal(doc.top!.byMemory.length, 2);
  const sortedRss = doc.processes!.map((p) => p.rssBytes).sort((a, b) => b - a);
  assert.deepEqual(doc.top!.byMemory.map((p) => p.rssBytes), sortedRss.slice(0, 2));
  const init = doc.top!.byMemory.find((p) => p.pid === 1);
  if (init) assert.equal(init.uid, uid1);

  // connections per remote IP: the network collector's table, loopback left out
  assert.deepEqual(doc.connections!.establishedPerRemoteIp, [
    { ip: '203.0.113.7', established: 3 },
    { ip: '198.51.100.2', established: 1 },
  ]);
  assert.deepEqual(doc.connections!.byState, readTcpTable(host).connectionsByState);
  assert.equal(doc.connections!.byState.ESTABLISHED, 6);

  assert.ok(doc.memory!.totalBytes > 0);
  assert.equal(doc.load!.load1, Number(readFileSync(join(fixtureRoot('snapshot-host'), 'loadavg'), 'utf8').split(' ')[0]));
  assert.ok(doc.mounts!.table.some((m) => m.mountPoint === '/proc' && m.fsType === 'proc'));
  assert.deepEqual(doc.pressure!.memory, ['some avg10=12.00 avg60=4.00 avg300=1.00 total=999999', 'full avg10=9.50 avg60=3.00 avg300=0.70 total=888888']);
  assert.equal(doc.pressure!.cpu!.length, 2);
});

test('snapshot: capture selects sections; a section this host lacks is named, the rest still written', async (t) => {
  const dir = tempDir(t, 'pm-snap-');
  // host-t1 without its pressure directory (a kernel without PSI)
  const root = join(tempDir(t, 'pm-snap-root-'), 'proc');
  cpSync(fixtureRoot('host-t1'), root, { recursive: true, filter: (src) => !src.includes('/pressure') });
  const { doc, r } = await take(createHost(root), options(dir, { sections: new Set(['load', 'pressure'] as const) }));
  assert.deepEqual(doc.sections, ['load', 'pressure']);
  assert.ok(doc.load);
  assert.equal(doc.processes, undefined);
  assert.equal(doc.connections, undefined);
  assert.match(doc.unavailable.pressure!, /^not on this host \(.*pressure\/io\)$/);
  assert.match(r.summary, /\(without pressure\)$/);
});

test('snapshot on the real /proc: a child of ours with its full command line; a CPU burner measured over the sample', async (t) => {
  const dir = tempDir(t, 'pm-snap-');
  const marker = `30.${process.pid}${Date.now() % 100000}`;
  const sleeper = child(t, 'sleep', [marker]);
  const burner = child(t, '/bin/sh', ['-c', 'i=0; while [ $i -lt 100000000 ]; do i=$((i+1)); done', 'pm-snapshot-burner']);
  await Promise.all([sleeper, burner].map((c) => new Promise((r) => c.once('spawn', r))));
  const host = createHost();
  // the sleeper has exec'd once its comm reads "sleep"
  for (let i = 0; i < 200 && !readFileSync(host.procPath(sleeper.pid!, 'comm'), 'utf8').startsWith('sleep'); i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
  const { doc } = await take(host, options(dir, { cpuSampleMs: 1000 }));

  const mine = doc.processes!.find((p) => p.pid === sleeper.pid)!;
  assert.equal(mine.cmdline, `sleep ${marker}`);
  assert.equal(mine.ppid, process.pid);
  assert.equal(mine.state, 'S');
  assert.ok(doc.cpuSampleMs! >= 1000, `${doc.cpuSampleMs}`);
  // CPU shares over the sample (the machine may be loaded: relations, not amounts)
  const hot = doc.processes!.find((p) => p.pid === burner.pid)!;
  assert.ok(hot.cpuPercent > 0 && hot.cpuPercent <= 101, `the burner used ${hot.cpuPercent} % over the sample`);
  assert.ok(hot.cpuPercent > mine.cpuPercent, 'the burner used more CPU than the sleeper');
  assert.ok(hot.cpuSeconds > 0);
  const cpus = doc.top!.byCpu.map((p) => p.cpuPercent);
  assert.deepEqual(cpus, cpus.slice().sort((a, b) => b - a), 'top consumers, busiest first');
  // (the process list rounds to 0.1 %, the top lists do not)
  const busiest = Math.round(cpus[0]! * 10) / 10;
  assert.ok(busiest >= hot.cpuPercent, `${busiest} ≥ ${hot.cpuPercent}`);
  assert.ok(doc.processes![0]!.cpuPercent >= busiest, 'the process list starts with the busiest');
  assert.ok(doc.top!.byCpu.every((p) => p.uid >= 0), 'top consumers carry their uid');
  assert.ok(doc.processCount! >= 3);
  for (const s of ['memory', 'load', 'mounts', 'connections'] as const) assert.ok(doc[s], s);
});

test('snapshot: a hanging extra command is cut at its timeout; the others and the bundle are written', async (t) => {
  const dir = tempDir(t, 'pm-snap-');
  const t0 = performance.now();
  const { doc } = await take(
    createHost(fixtureRoot('snapshot-host')),
    options(dir, { sections: new Set(['load'] as const), commandTimeoutMs: 300, commands: { hang: 'echo started; sleep 30; echo never', quick: 'echo hi; echo oops >&2; exit 4' } }),
  );
  assert.ok(performance.now() - t0 < 10_000);
  const hang = doc.commands!.find((c) => c.name === 'hang')!;
  assert.equal(hang.timedOut, true);
  assert.equal(hang.stdout, 'started\n');
  assert.ok(hang.durationMs >= 300 && hang.durationMs < 10_000, `${hang.durationMs}`);
  assert.deepEqual(
    (({ durationMs, ...rest }) => rest)(doc.commands!.find((c) => c.name === 'quick')!),
    { name: 'quick', command: 'echo hi; echo oops >&2; exit 4', exitCode: 4, signal: null, timedOut: false, stdout: 'hi\n', stderr: 'oops\n' },
  );
  assert.ok(doc.load);
});

test('snapshot: the directory keeps max_snapshots files, the oldest go first, other files are never touched', async (t) => {
  const dir = tempDir(t, 'pm-snap-');
  writeFileSync(join(dir, 'notes.txt'), 'mine');
  writeFileSync(join(dir, 'snapshot-2026-11-30T00-00-00-000Z.txt'), 'an old ps/ss snapshot');
  const host = createHost(fixtureRoot('snapshot-host'));
  const files: string[] = [];
  for (let i = 0; i < 5; i++) {
    const { r } = await take(host, options(dir, { maxSnapshots: 3, sections: new Set(['load'] as const) }), incident(`burst ${i}`, Date.UTC(2026, 11, 1, 0, 0, i)));
    files.push(r.target!.slice(dir.length + 1));
    if (i === 4) assert.match(r.summary, /\(1 older removed\)$/);
  }
  assert.deepEqual(readdirSync(dir).sort(), ['notes.txt', ...files.slice(2)].sort());
  // the same incident at the same time twice: a second file, not one over the other
  const a = await take(host, options(dir, { sections: new Set(['load'] as const) }), incident('twice'));
  const b = await take(host, options(dir, { sections: new Set(['load'] as const) }), incident('twice'));
  assert.notEqual(a.r.target, b.r.target);
  assert.match(b.r.target!, /-twice-2\.json$/);
});

test('snapshot files: names sort by time; pruning picks the oldest snapshot files only', () => {
  assert.equal(snapshotFileName(0, 'SSH brute force: 203.0.113.7!'), 'snapshot-1970-01-01T00-00-00-000Z-ssh-brute-force-203-0-113-7.json');
  assert.equal(snapshotFileName(0, '***'), 'snapshot-1970-01-01T00-00-00-000Z-incident.json');
  assert.equal(snapshotFileName(0, 'x', 1), 'snapshot-1970-01-01T00-00-00-000Z-x-2.json');
  const names = ['b.json', snapshotFileName(2000, 'c'), snapshotFileName(1000, 'z'), snapshotFileName(3000, 'a'), 'snapshot-notes.md'];
  assert.deepEqual(snapshotsToPrune(names, 1), [snapshotFileName(1000, 'z'), snapshotFileName(2000, 'c')]);
  assert.deepEqual(snapshotsToPrune(names, 5), []);
});

test('snapshot: dry run writes nothing', async (t) => {
  const dir = join(tempDir(t, 'pm-snap-'), 'never');
  const r = await snapshotAction('snapshot', createHost(fixtureRoot('snapshot-host')), options(dir)).run({ incident: incident('x'), dryRun: true, signal: new AbortController().signal });
  assert.equal(r.outcome, 'dry_run');
  assert.throws(() => statSync(dir), { code: 'ENOENT' });
});

test('config: capture, commands, timeout and storage.max_snapshots reach the snapshot action; max_snapshots has a range', async (t) => {
  const dir = tempDir(t, 'pm-snap-');
  const config = await loadConfigText(`
storage: {snapshot_dir: ${dir}, max_snapshots: 2}
actions:
  grab: {type: system, capture: [load, logs], commands: {greet: "echo hello"}, timeout: 2s}
`);
  const snapHost = createHost(fixtureRoot('snapshot-host'));
  const { registry } = buildActions(config, { host: snapHost, logger: memoryLogger(), firewall: null, processes: testDeps(snapHost), massFreeze: defaultMassFreezePolicy() });
  for (let i = 0; i < 3; i++) {
    await registry.get('grab')!.run({ incident: incident('cfg', i * 1000), dryRun: false, signal: new AbortController().signal });
  }
  const files = readdirSync(dir).sort();
  assert.equal(files.length, 2, 'max_snapshots: 2');
  const doc = JSON.parse(readFileSync(join(dir, files[1]!), 'utf8')) as SnapshotDocument;
  assert.deepEqual(doc.sections, ['load']);
  assert.equal(doc.commands![0]!.stdout, 'hello\n');
  assert.ok(registry.has('snapshot'), 'the built-in snapshot is there with no definition');

  for (const bad of [0, 10_001, 2.5]) {
    const { problems } = decodeConfig({ storage: { max_snapshots: bad } });
    assert.ok(problems.some((p) => p.includes('storage.max_snapshots') && p.includes('a whole number from 1 to 10000')), `${bad}: ${problems.join('; ')}`);
  }
});
