/**
 * Hooks get the victim: run_script after a freeze, and kill_process's on_kill per killed
 * process, see PANIC_PID, PANIC_PROCESS_NAME, PANIC_CMDLINE, PANIC_USER (real scripts,
 * real processes).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ownChildren, stateOf, waitUntil, cpuTicksOf } from './own-children.js';
import { testDeps, incidentOf, ctxOf } from './process-deps.js';
import { freezeTopProcessAction } from '../../src/actions/freeze-top-process.js';
import { killProcessAction } from '../../src/actions/kill-process.js';
import { scriptAction } from '../../src/actions/run-script.js';

const dumpScript = (dir: string, out: string) => {
  const path = join(dir, 'hook.sh');
  writeFileSync(path, `#!/bin/sh\nprintf '%s|%s|%s|%s|%s\\n' "$PANIC_PID" "$PANIC_PROCESS_NAME" "$PANIC_CMDLINE" "$PANIC_USER" "$PANIC_INCIDENT_NAME" >> ${out}\n`);
  chmodSync(path, 0o755);
  return path;
};

test('run_script after freeze_top_process, and on_kill after kill_process, receive the victim in PANIC_*', { timeout: 30_000 }, async () => {
  const kids = ownChildren();
  const dir = mkdtempSync(join(tmpdir(), 'pm-hook-'));
  try {
    const out = join(dir, 'env.txt');
    const hook = dumpScript(dir, out);
    const hog = kids.spawn('/bin/sh', ['-c', 'while :; do :; done # pm-hook-freeze']);
    await waitUntil(() => cpuTicksOf(hog.pid!) > 5, 10_000, 'hog burning');
    const host = kids.host();
    const deps = testDeps(host);
    const incident = incidentOf('cpu_usage', ['freeze_top_process', 'run_script']);
    await freezeTopProcessAction(deps, {}).run(ctxOf(incident));
    await waitUntil(() => stateOf(hog.pid!) === 'T', 5_000, 'hog stopped');
    await scriptAction('run_script', hook, host, 5_000, { victims: deps.victims }).run(ctxOf(incident));
    assert.equal(readFileSync(out, 'utf8'), `${hog.pid}|sh|/bin/sh -c while :; do :; done # pm-hook-freeze|root|test incident\n`);

    deps.frozen.thaw('all');
    writeFileSync(out, '');
    await killProcessAction(deps, { graceMs: 1_000, onKill: hook }).run(ctxOf(incidentOf()));
    await waitUntil(() => existsSync(out) && readFileSync(out, 'utf8').includes('|'), 5_000, 'on_kill ran');
    assert.equal(readFileSync(out, 'utf8'), `${hog.pid}|sh|/bin/sh -c while :; do :; done # pm-hook-freeze|root|test incident\n`);
  } finally {
    await kids.killAll();
    rmSync(dir, { recursive: true, force: true });
  }
});
