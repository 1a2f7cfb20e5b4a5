/**
 * `collectors:` in the config: each collector's `enabled` and `interval`, decoded with a
 * duration range like every other key; an unknown collector name is refused with a
 * "did you mean"; the decoded section builds the collectors the agent runs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfigText } from '../../src/config/load.js';
import { createCollectors } from '../../src/collectors/registry.js';
import { problemsOf } from '../config/config-problems.js';


test('collectors: decoded to milliseconds, absent keys left to the collectors\' defaults', async () => {
  const c = await loadConfigText(
    'collectors:\n  cpu: { interval: 2s }\n  disk: { interval: 5m }\n  sockets: { interval: 30s }\n  self: { enabled: false }\n',
    'test.yaml',
    { secrets: 'check' },
  );
  assert.deepEqual(c.collectors, { cpu: { interval: 2000 }, disk: { interval: 300_000 }, sockets: { interval: 30_000 }, self: { enabled: false } });
  const built = Object.fromEntries(createCollectors(c.collectors).map((x) => [x.name, x]));
  assert.equal(built.cpu!.intervalMs, 2000);
  assert.equal(built.disk!.intervalMs, 300_000);
  assert.equal(built.network!.part?.intervalMs, 30_000);
  assert.equal(built.processes!.intervalMs, 15_000, 'default');
  assert.equal(built.self, undefined);
  assert.deepEqual((await loadConfigText('{}', 'test.yaml', { secrets: 'check' })).collectors, {});
});

test('collectors: an unknown name, a bad interval or an option a part does not have are refused, naming the place', async () => {
  assert.deepEqual(await problemsOf('collectors:\n  cpus: { interval: 5s }\n'), ['collectors.cpus: unknown key (did you mean "cpu"?)']);
  assert.deepEqual(await problemsOf('collectors:\n  diskio: { interval: 5s }\n'), ['collectors.diskio: unknown key (did you mean "disk_io"?)']);
  const [range] = await problemsOf('collectors:\n  cpu: { interval: 10ms }\n');
  assert.match(range!, /^collectors\.cpu\.interval: expected a duration from 100ms to 1d, got "10ms"/);
  const [bare] = await problemsOf('collectors:\n  disk: { interval: 60 }\n');
  assert.match(bare!, /^collectors\.disk\.interval: .*bare number/);
  const [part] = await problemsOf('collectors:\n  sockets: { enabled: false }\n');
  assert.match(part!, /^collectors\.sockets\.enabled: unknown key/);
  const [flag] = await problemsOf('collectors:\n  self: { enabled: "no" }\n');
  assert.match(flag!, /^collectors\.self\.enabled:/);
});
