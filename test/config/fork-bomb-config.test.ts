/**
 * `anomaly.fork_bomb`: defaults from the seed documents, a range per key, and a bad
 * value or a key that would do nothing refused by check-config and run (exit 2) with
 * its place, before anything starts.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigCodec } from '../../src/config/schema.js';
import { runPanicmode } from '../cli/run-panicmode.js';

const dir = mkdtempSync(join(tmpdir(), 'pm-fork-bomb-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const run = (args: string[]) => runPanicmode(args, { stateDir: join(dir, 'state') });

test('defaults: on, 200 processes/s, every 100 ms, trees of 50 (the seed), kill at once', () => {
  const decoded = ConfigCodec.decode({});
  assert.equal(decoded._tag, 'Right');
  if (decoded._tag !== 'Right') return;
  assert.deepEqual(decoded.right.anomaly.fork_bomb, { enabled: true, rate: 200, interval: 100, min_tree_size: 50, kill: true, grace: 0 });
  const set = ConfigCodec.decode({ anomaly: { fork_bomb: { rate: 500, interval: '250ms', min_tree_size: 20, kill: false } } });
  assert.equal(set._tag, 'Right');
  if (set._tag === 'Right') assert.deepEqual(set.right.anomaly.fork_bomb, { enabled: true, rate: 500, interval: 250, min_tree_size: 20, kill: false, grace: 0 });
});

test('out of range, a typo, or grace without kill: exit 2 naming the place, for check-config and run', async () => {
  const file = join(dir, 'bad.yaml');
  writeFileSync(
    file,
    `anomaly:
  fork_bomb:
    rate: 5
    interval: 5ms
    min_tree_size: 1
    kil: true
`,
  );
  const grace = join(dir, 'grace.yaml');
  writeFileSync(grace, 'anomaly:\n  fork_bomb: {kill: false, grace: 10s}\n');
  for (const cmd of [['check-config'], ['run', '--config']]) {
    const r = await run([...cmd, file]);
    assert.equal(r.code, 2, `${cmd[0]}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, /anomaly\.fork_bomb\.rate: expected a whole number from 10 to 100000, got 5/);
    assert.match(r.stderr, /anomaly\.fork_bomb\.interval: .*5ms/);
    assert.match(r.stderr, /anomaly\.fork_bomb\.min_tree_size: expected a whole number from 2 to 100000, got 1/);
    assert.match(r.stderr, /anomaly\.fork_bomb\.kil: unknown key \(did you mean "kill"\?\)/);
    assert.doesNotMatch(r.stderr, /watching/);
    const g = await run([...cmd, grace]);
    assert.equal(g.code, 2, `${cmd[0]}: ${g.stdout}${g.stderr}`);
    assert.match(g.stderr, /anomaly\.fork_bomb\.grace: the time a frozen bomb waits before it is killed, but kill is false/);
  }
});
