import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { loadConfigText } from '../../src/config/load.js';
import { clearSecretCache } from '../../src/config/secrets.js';
import { redactConfig } from '../../src/config/redact-config.js';
import { maskSecrets } from '../../src/log/logger.js';
import { ConfigError } from '../../src/errors.js';

/** A local Vault speaking KV v2: GET /v1/<path> with X-Vault-Token. Records every request. */
let vault: Server;
let vaultAddr: string;
const requests: { url: string; token: string | undefined }[] = [];
const secretsAt: Record<string, Record<string, string>> = {
  'secret/data/panicmode': { telegram_token: '999:vault-telegram-token', smtp: 'vault-smtp-pass' },
};

let dir: string;
const savedEnv = { ...process.env };

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pm-secrets-'));
  vault = createServer((req: IncomingMessage, res) => {
    requests.push({ url: req.url ?? '', token: req.headers['x-vault-token'] as string | undefined });
    const path = (req.url ?? '').replace(/^\/v1\//, '');
    if (req.method !== 'GET' || req.headers['x-vault-token'] !== 'root-token-1') {
      res.writeHead(403, { 'content-type': 'application/json' }).end('{"errors":["permission denied"]}');
      return;
    }
    const data = secretsAt[path];
    if (!data) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"errors":[]}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: { data, metadata: { version: 1 } } }));
  });
  await new Promise<void>((r) => vault.listen(0, '127.0.0.1', r));
  vaultAddr = `http://127.0.0.1:${(vault.address() as AddressInfo).port}`;
});

after(async () => {
  await new Promise<void>((r) => vault.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
  process.env = savedEnv;
});

beforeEach(() => {
  clearSecretCache();
  requests.length = 0;
  process.env.VAULT_ADDR = vaultAddr;
  process.env.VAULT_TOKEN = 'root-token-1';
});

const telegram = (token: string, chat = '"42"') => `integrations:\n  telegram:\n    bot_token: "${token}"\n    chat_id: ${chat}\n`;

const problemsOf = async (text: string): Promise<string[]> => {
  try {
    await loadConfigText(text, 'secrets.yaml');
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.problems;
  }
  assert.fail('accepted');
};

test('${env:NAME} resolves; a missing one names the config path', async () => {
  process.env.PM_TEST_TG = 'env-token-12345';
  const c = await loadConfigText(telegram('${env:PM_TEST_TG}'));
  assert.equal(c.integrations.telegram!.bot_token, 'env-token-12345');
  assert.equal(maskSecrets('token is env-token-12345'), 'token is ***', 'registered with redact()');
  delete process.env.PM_TEST_TG;
  clearSecretCache();
  assert.deepEqual(await problemsOf(telegram('${env:PM_TEST_TG}')), ['integrations.telegram.bot_token: ${env:PM_TEST_TG} is not set']);
});

test('${file:/path} resolves trimmed; unreadable file names the path; cache until cleared', async () => {
  const f = join(dir, 'tg');
  writeFileSync(f, '  file-token-abcdef\n');
  const c = await loadConfigText(telegram(`\${file:${f}}`));
  assert.equal(c.integrations.telegram!.bot_token, 'file-token-abcdef');
  writeFileSync(f, 'file-token-rotated\n');
  const cached = await loadConfigText(telegram(`\${file:${f}}`));
  assert.equal(cached.integrations.telegram!.bot_token, 'file-token-abcdef', 'served from the cache within the TTL');
  clearSecretCache();
  const fresh = await loadConfigText(telegram(`\${file:${f}}`));
  assert.equal(fresh.integrations.telegram!.bot_token, 'file-token-rotated', 're-read after clearSecretCache()');
  const missing = join(dir, 'nope');
  assert.deepEqual(await problemsOf(telegram(`\${file:${missing}}`)), [
    `integrations.telegram.bot_token: \${file:${missing}}: cannot read ${missing} (ENOENT)`,
  ]);
});

test('TTL expiry re-reads a secret', async () => {
  process.env.PANICMODE_SECRET_TTL = '50ms';
  try {
    const f = join(dir, 'ttl');
    writeFileSync(f, 'ttl-value-one');
    assert.equal((await loadConfigText(telegram(`\${file:${f}}`))).integrations.telegram!.bot_token, 'ttl-value-one');
    writeFileSync(f, 'ttl-value-two');
    await new Promise((r) => setTimeout(r, 80));
    assert.equal((await loadConfigText(telegram(`\${file:${f}}`))).integrations.telegram!.bot_token, 'ttl-value-two');
  } finally {
    delete process.env.PANICMODE_SECRET_TTL;
  }
});

test('${vault:PATH#KEY} reads KV v2 from $VAULT_ADDR with X-Vault-Token, one request per path', async () => {
  const c = await loadConfigText(
    telegram('${vault:secret/data/panicmode#telegram_token}') +
      '  email:\n    smtp_host: 127.0.0.1\n    from_email: a@b\n    to_email: c@d\n    smtp_password: "${vault:secret/data/panicmode#smtp}"\n',
  );
  assert.equal(c.integrations.telegram!.bot_token, '999:vault-telegram-token');
  assert.equal(c.integrations.email!.smtp_password, 'vault-smtp-pass');
  assert.deepEqual(requests, [{ url: '/v1/secret/data/panicmode', token: 'root-token-1' }]);
});

test('vault errors name the config path: missing key, wrong token, no VAULT_ADDR', async () => {
  assert.deepEqual(await problemsOf(telegram('${vault:secret/data/panicmode#nokey}')), [
    'integrations.telegram.bot_token: ${vault:secret/data/panicmode#nokey}: vault has no key "nokey" at secret/data/panicmode',
  ]);
  process.env.VAULT_TOKEN = 'wrong';
  clearSecretCache();
  assert.deepEqual(await problemsOf(telegram('${vault:secret/data/panicmode#telegram_token}')), [
    'integrations.telegram.bot_token: ${vault:secret/data/panicmode#telegram_token}: vault answered HTTP 403 for secret/data/panicmode',
  ]);
  delete process.env.VAULT_ADDR;
  clearSecretCache();
  assert.deepEqual(await problemsOf(telegram('${vault:secret/data/panicmode#telegram_token}')), [
    'integrations.telegram.bot_token: ${vault:secret/data/panicmode#telegram_token}: VAULT_ADDR is not set',
  ]);
});

test('redactConfig masks secret fields and every value that came from a reference', async () => {
  process.env.PM_TEST_CHAT = '-1001234';
  const c = await loadConfigText(
    telegram('plain-bot-token', '"${env:PM_TEST_CHAT}"') +
      '  webhook:\n    url: http://127.0.0.1:9/hook\n    hmac_secret: s3cr3t-hmac\n    headers: {Authorization: "Bearer abc123", X-Team: ops}\n' +
      'alerts:\n  info:\n    - channel: webhook\n      webhook_url: http://127.0.0.1:9/other\n',
  );
  const r = redactConfig(c);
  assert.equal(r.integrations.telegram!.bot_token, '***');
  assert.equal(r.integrations.telegram!.chat_id, '***', 'came from ${env:}');
  assert.equal(r.integrations.webhook!.hmac_secret, '***');
  assert.equal(r.integrations.webhook!.headers!.Authorization, '***');
  assert.equal(r.integrations.webhook!.headers!['X-Team'], 'ops');
  assert.equal(r.alerts.info[0]!.webhook_url, '***');
  assert.equal(r.integrations.webhook!.url, 'http://127.0.0.1:9/hook', 'non-secret fields kept');
  assert.equal(c.integrations.telegram!.bot_token, 'plain-bot-token', 'the original is untouched');
  assert.equal(JSON.stringify(r).includes('-1001234'), false);
});
