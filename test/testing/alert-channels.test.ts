/**
 * panicmode test records alerts at the channel boundary: through the agent's alert
 * path (owed alerts, rate limit, outbox lanes) to a recording channel per route, so a
 * test sees which channels were handed a message and what it says. Before, alerts were
 * recorded as they left the rate limit, with the channels routing would pick, and what
 * the message said could not be tested.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runRuleTestFile } from '../../src/testing/index.js';

const dir = mkdtempSync(join(tmpdir(), 'pm-alert-channels-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('each route of a severity is handed the message (none: the console), saying what was done', async () => {
  const file = join(dir, 'channels.test.yaml');
  // nothing is delivered: the webhook's address is never contacted, the file never written
  writeFileSync(
    file,
    `config:
  anomaly: { enabled: false }
  alerts:
    critical: [ { channel: webhook, url: "http://127.0.0.1:9/hook" }, { channel: webhook, url: "http://127.0.0.1:9/other" } ]
  monitors:
    - { name: CPU saturated, type: cpu_usage, threshold: 90, actions: [snapshot, alert_critical] }
    - { name: Memory high, type: memory_usage, threshold: 80, actions: [alert_warning] }
interval: 5s
tests:
  - name: critical to both webhooks, warning to the console
    metrics:
      cpu.usagePercent: "95 10x3"
      memory.usagePercent: "85 10x3"
    expect:
      alerts:
        - { at: 0s, name: CPU saturated, severity: critical, channels: [webhook, webhook#2], message: "CRITICAL CPU saturated on rule-test: CPU 95% > 90%" }
        - { at: 0s, name: Memory high, severity: warning, channels: [console], message: "memory 85% > 80%" }
        - { at: 15s, name: CPU saturated, status: resolved, channels: [webhook, webhook#2] }
        - { at: 15s, name: Memory high, status: resolved, channels: [console] }
`,
  );
  const [r] = await runRuleTestFile(file);
  assert.ok(r!.passed, JSON.stringify(r!.kinds, null, 1));
});
