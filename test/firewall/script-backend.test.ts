import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createScriptBackend, scriptArgument } from '../../src/firewall/script-backend.js';
import { memoryLogger } from '../../src/log/logger.js';
import { recordingScripts } from './recording-scripts.js';

const scripts = recordingScripts();
after(() => scripts.remove());

const backend = (env: NodeJS.ProcessEnv = {}, timeoutMs = 5000) =>
  createScriptBackend({ block_script: scripts.block, unblock_script: scripts.unblock, timeoutMs, maxConcurrency: 3, logger: memoryLogger(), env: { PATH: process.env.PATH, ...env } });

test('script backend runs block/unblock with exactly one validated argument', async () => {
  const b = backend();
  const before = scripts.calls().length;
  assert.deepEqual(await b.ban([{ target: '203.0.113.7', timeoutMs: 1000, reason: 'x' }, { target: '2001:db8::/64', timeoutMs: null, reason: 'x' }]), []);
  assert.deepEqual(await b.unban(['203.0.113.7']), []);
  assert.deepEqual(scripts.calls().slice(before).sort(), ['block 1 2001:db8::/64', 'block 1 203.0.113.7', 'unblock 1 203.0.113.7']);
  assert.equal(await b.list(), null, 'a script cannot list');
  await b.check();
});

test('an argument that is not a canonical address never reaches a script', async () => {
  const b = backend();
  const before = scripts.calls().length;
  const failures = await b.ban([
    { target: '1.2.3.4; rm -rf /', timeoutMs: 1000, reason: 'x' },
    { target: '-h', timeoutMs: 1000, reason: 'x' },
    { target: '2001:DB8::1', timeoutMs: 1000, reason: 'not canonical' },
    { target: '198.51.100.1', timeoutMs: 1000, reason: 'good' },
  ]);
  assert.deepEqual(failures.map((f) => f.target).sort(), ['-h', '1.2.3.4; rm -rf /', '2001:DB8::1']);
  assert.deepEqual(scripts.calls().slice(before), ['block 1 198.51.100.1'], 'only the valid one ran');
  assert.throws(() => scriptArgument('$(id)'), /refusing/);
});

test('PANICMODE_BLOCK_IP_SCRIPT / PANICMODE_UNBLOCK_IP_SCRIPT override the configured paths', async () => {
  const other = join(scripts.dir, 'other.sh');
  writeFileSync(other, `#!/bin/sh\necho "override $1" >> "${join(scripts.dir, 'calls.log')}"\n`, { mode: 0o755 });
  const b = backend({ PANICMODE_BLOCK_IP_SCRIPT: other, PANICMODE_UNBLOCK_IP_SCRIPT: other });
  const before = scripts.calls().length;
  await b.ban([{ target: '192.0.2.44', timeoutMs: 1000, reason: 'x' }]);
  await b.unban(['192.0.2.44']);
  assert.deepEqual(scripts.calls().slice(before), ['override 192.0.2.44', 'override 192.0.2.44']);
});

test('a failing or hanging script is reported per address, with its stderr or the timeout', async () => {
  const slow = join(scripts.dir, 'slow.sh');
  writeFileSync(slow, '#!/bin/sh\nexec sleep 5\n', { mode: 0o755 });
  const hanging = createScriptBackend({ block_script: slow, unblock_script: slow, timeoutMs: 200, maxConcurrency: 2, logger: memoryLogger() });
  const started = Date.now();
  const f = await hanging.ban([{ target: '192.0.2.1', timeoutMs: 1, reason: 'x' }]);
  assert.ok(Date.now() - started < 2000, 'killed at the timeout');
  assert.match(f[0]!.error.message, /timed out after 200 ms/);

  const missing = createScriptBackend({ block_script: join(scripts.dir, 'nope.sh'), unblock_script: slow, timeoutMs: 1000, maxConcurrency: 1, logger: memoryLogger() });
  await assert.rejects(missing.check(), /missing or not executable/);
  const m = await missing.ban([{ target: '192.0.2.1', timeoutMs: 1, reason: 'x' }]);
  assert.match(m[0]!.error.message, /ENOENT/);

  const failing = recordingScripts();
  try {
    failing.breakBlock();
    const b = createScriptBackend({ block_script: failing.block, unblock_script: failing.unblock, timeoutMs: 2000, maxConcurrency: 1, logger: memoryLogger() });
    const r = await b.ban([{ target: '192.0.2.2', timeoutMs: 1, reason: 'x' }]);
    assert.match(r[0]!.error.message, /exited 3: broken on purpose/);
  } finally {
    failing.remove();
  }
});
