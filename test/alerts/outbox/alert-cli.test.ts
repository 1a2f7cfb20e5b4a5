/**
 * `panicmode alert test` as an operator runs it: a real child process, a config file,
 * channels pointed at local receivers (one accepting, one answering 500, one refused).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { refusedUrl, startReceiver } from './dispatcher-peers.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const bin = join(root, 'bin', 'panicmode.js');
const dir = mkdtempSync(join(tmpdir(), 'panicmode-alert-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const run = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
  new Promise((resolve) => {
    execFile(
      process.execPath,
      [bin, ...args],
      { cwd: root, env: { ...process.env, PANICMODE_FROM_SOURCE: '1', PANICMODE_STATE_DIR: dir, PANICMODE_CONFIG: '' }, timeout: 30_000 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });

test('alert test reports each channel: delivered with its time, or the exact error; exit 1 when one failed', async () => {
  const rx = await startReceiver();
  after(() => rx.close());
  rx.set('/bad', { kind: 'fail', times: 100, status: 500 });
  const refused = await refusedUrl();
  const config = join(dir, 'alerts.yaml');
  writeFileSync(
    config,
    [
      'alerts:',
      '  critical:',
      `    - channel: webhook`,
      `      webhook_url: ${rx.url}/ok`,
      `    - channel: webhook`,
      `      webhook_url: ${rx.url}/bad`,
      '      timeout: 2s',
      '    - channel: twilio_sms',
      '      contacts: [{ name: admin, phone: "+10000000000" }]',
      '  warning:',
      `    - channel: webhook`,
      `      webhook_url: ${rx.url}/ok`,
      `    - channel: discord`,
      `      webhook_url: ${refused}/api/webhooks/1/secret-token-xyz`,
      '  info:',
      '    - channel: file',
      `      path: ${join(dir, 'alerts.jsonl')}`,
      'integrations:',
      '  twilio: { enabled: false, account_sid: AC1, auth_token: tok123456, from_number: "+1" }',
    ].join('\n'),
  );
  const all = await run(['alert', 'test', '--config', config]);
  assert.equal(all.code, 1, all.stderr);
  const lines = all.stdout.trim().split('\n');
  assert.equal(lines.length, 5, all.stdout);
  assert.match(lines[0]!, /^webhook: delivered \(\d+ ms\)$/);
  assert.match(lines[1]!, /^webhook#2: FAILED: HTTP 500/);
  assert.match(lines[2]!, /^discord: FAILED: .*(ECONNREFUSED|refused)/i);
  assert.match(lines[3]!, /^file: delivered \(\d+ ms\)$/);
  assert.equal(lines[4], 'twilio_sms: skipped (integrations.twilio.enabled is false, alerts.critical[2])');
  // the discord webhook URL is its credential: never printed
  assert.ok(!all.stdout.includes('secret-token-xyz') && !all.stderr.includes('secret-token-xyz'));
  // the test alert really reached the accepting receiver, once
  assert.equal(rx.delivered('/ok').length, 1);
  assert.match(rx.delivered('/ok')[0]!, /^test-/);

  // a channel name selects each of its routes; a key selects one
  const byName = await run(['alert', 'test', '--config', config, '--channel', 'webhook']);
  assert.equal(byName.code, 1);
  assert.deepEqual(byName.stdout.trim().split('\n').map((l) => l.split(':')[0]), ['webhook', 'webhook#2']);
  const one = await run(['alert', 'test', '--config', config, '--channel', 'file']);
  assert.equal(one.code, 0, one.stdout + one.stderr);
  assert.match(one.stdout.trim(), /^file: delivered \(\d+ ms\)$/);

  const unknown = await run(['alert', 'test', '--config', config, '--channel', 'telegram']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /--channel telegram: no such channel in alerts: \(configured: webhook, webhook#2, discord, file\)/);
});
