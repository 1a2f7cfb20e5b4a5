/**
 * `panicmode run` loads mass_freeze.yaml beside the config and checks it before
 * anything starts: a bad policy, or a monitor naming a cluster the policy does not
 * define, exits 2 with the place. The compat policy file loads unchanged.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPanicmode } from '../cli/run-panicmode.js';

const dir = mkdtempSync(join(tmpdir(), 'pm-run-policy-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const compat = '/work/shared/compat/panicmode/mass_freeze.yaml';

const run = (args: string[]) => runPanicmode(args, { stateDir: join(dir, 'state') });

const configIn = (name: string, cluster: string, policy: string | null): string => {
  const d = join(dir, name);
  mkdirSync(d);
  const file = join(d, 'config.yaml');
  writeFileSync(file, `monitors:\n  - {name: cpu, type: cpu_usage, threshold: 99, actions: [alert_info, "mass_freeze_cluster:${cluster}"]}\nstorage: {incident_db: ${join(d, 'db')}}\nfirewall: {enabled: false, ctl_socket: ${join(d, 'ctl.sock')}}\n`);
  if (policy === 'compat') copyFileSync(compat, join(d, 'mass_freeze.yaml'));
  else if (policy !== null) writeFileSync(join(d, 'mass_freeze.yaml'), policy);
  return file;
};

test('run: a monitor naming a cluster the compat policy does not define exits 2 with the place', async () => {
  const r = await run(['run', '--config', configIn('unknown', 'nope', 'compat')]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /monitors\[0\]\.actions\[1\]: cluster "nope" is not defined in the mass-freeze policy \(have: website, crm, api, monitoring, docker, webserver, database, cache, webapp\)/);
  assert.doesNotMatch(r.stderr, /watching/);
});

test('run: without a mass_freeze.yaml, any mass_freeze_cluster is unknown: exit 2', async () => {
  const r = await run(['run', '--config', configIn('none', 'website', null)]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /with no mass_freeze\.yaml.*\n.*monitors\[0\]\.actions\[1\]: cluster "website" is not defined in the mass-freeze policy \(have: none\)/);
});

test('run: a bad mass_freeze.yaml exits 2 naming the file and the key', async () => {
  const r = await run(['run', '--config', configIn('bad', 'web', 'mode: everything\ncluster:\n  definitions:\n    web: {cmdline_regex: "x(", nmes: [a]}\n')]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /mass_freeze\.yaml: invalid config/);
  assert.match(r.stderr, /mode: expected one of all, top_cpu, cluster, got "everything"/);
  assert.match(r.stderr, /cluster\.definitions\.web\.cmdline_regex: not a valid regular expression/);
  assert.match(r.stderr, /cluster\.definitions\.web\.nmes: unknown key \(did you mean "names"\?\)/);
});
