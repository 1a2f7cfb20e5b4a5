import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeExecScenarios } from './exec-scenarios.js';
import { createFixture, noLimits, sh, type Fixture } from './exec-fixture.js';
import { createHost } from '../../src/host/host.js';
import { ExecExit } from '../../src/exec/exec-exit-codes.js';

describeExecScenarios(false);

describe('panicmode exec, process group, when /proc cannot be read', { timeout: 30_000 }, () => {
  let fx: Fixture;
  let emptyRoot: string;
  afterEach(() => {
    fx?.cleanup();
    rmSync(emptyRoot, { recursive: true, force: true });
  });

  // Before: the poll's error rejected runJob and left the job running, unwatched.
  it('kills the job rather than leaving it unwatched: exit 123', async () => {
    emptyRoot = mkdtempSync(join(tmpdir(), 'pm-exec-noproc-'));
    fx = createFixture(false, { host: createHost(emptyRoot) });
    const o = await fx.run({ argv: sh('sleep 30 & echo $! >> "$PIDS"; wait'), limits: { ...noLimits, timeoutMs: 20_000 } });
    assert.equal(o.exitCode, ExecExit.internal);
    assert.equal(o.verdict.kind, 'failed');
    assert.match((o.verdict as { error: string }).error, /no process directories/);
    // The sh may not have started its sleep before the kill; whatever it wrote is gone.
    assert.deepEqual(fx.survivors(), []);
  });
});
