/** The console channel's line on an injected stream; the file channel's JSON lines read back. */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { AlertDeliveryError } from '../../../src/errors.js';
import { createConsoleChannel } from '../../../src/alerts/channels/console.js';
import { createFileChannel } from '../../../src/alerts/channels/file.js';
import { message } from '../helpers/alert-message.js';

describe('console', () => {
  it('one readable line per alert: [SEVERITY] host rule: what — done', async () => {
    const lines: string[] = [];
    const ch = createConsoleChannel({ stream: { write: (s: string) => lines.push(s) } });
    await ch.send(message());
    await ch.send(message({ status: 'resolved', metadata: { currentValue: 41 } }, { actionsTaken: [] }));
    await ch.send(message({ severity: 'warning', count: 37, description: 'multi\nline' }, { actionsTaken: ['blocked 3 IPs', 'snapshot saved'] }));
    assert.deepEqual(lines, [
      '[CRITICAL] web-1 high_cpu: CPU 97.3% > 80% — froze pid 4242\n',
      '[RESOLVED] web-1 high_cpu: CPU now 41% (threshold 80%)\n',
      '[WARNING] web-1 high_cpu: multi line (×37) — blocked 3 IPs, snapshot saved\n',
    ]);
  });
});

describe('file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pm-file-channel-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('appends one JSON object per alert, creating the directory', async () => {
    const path = join(dir, 'nested', 'alerts.jsonl');
    const ch = createFileChannel({ path });
    await ch.send(message({}, { id: 'one' }));
    await Promise.all(Array.from({ length: 20 }, (_, i) => ch.send(message({}, { id: `c${i}` }))));
    const lines = readFileSync(path, 'utf8').split('\n');
    assert.equal(lines.pop(), '', 'ends with a newline');
    assert.equal(lines.length, 21);
    const docs = lines.map((l) => JSON.parse(l));
    assert.equal(docs[0].id, 'one');
    assert.equal(docs[0].severity, 'critical');
    assert.equal(docs[0].host, 'web-1');
    assert.equal(docs[0].incident.monitor_type, 'cpu_usage');
    assert.equal(docs[0].incident.current_value, 97.3);
    assert.deepEqual(docs[0].actions_taken, ['froze pid 4242']);
    assert.deepEqual(new Set(docs.slice(1).map((d) => d.id)), new Set(Array.from({ length: 20 }, (_, i) => `c${i}`)));
  });

  it('keeps what was there (append, not overwrite)', async () => {
    const path = join(dir, 'existing.jsonl');
    writeFileSync(path, '{"old":true}\n');
    await createFileChannel({ path }).send(message());
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    assert.deepEqual(JSON.parse(lines[0]!), { old: true });
    assert.equal(JSON.parse(lines[1]!).id, 'alert-1');
  });

  it('an unwritable path rejects naming the path and the cause', async () => {
    const path = join(dir, 'is-a-dir');
    mkdirSync(path);
    await assert.rejects(createFileChannel({ path }).send(message()), (err: Error) => {
      assert.ok(err instanceof AlertDeliveryError);
      assert.match(err.message, new RegExp(`^file: cannot append to ${path}: EISDIR`));
      return true;
    });
  });
});
