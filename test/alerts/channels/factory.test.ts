/**
 * createChannel: a route plus `integrations:` gives the right channel aimed at the right
 * target (route overrides win), and a route without what it needs is a ConfigError.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ConfigError } from '../../../src/errors.js';
import { createChannel, type ChannelRoute } from '../../../src/alerts/channels/index.js';
import { integrationOf } from '../../../src/alerts/routing.js';
import { maskSecrets } from '../../../src/log/logger.js';
import { channels } from '../../../src/config/schema.js';
import { startHttpReceiver, type HttpReceiver } from '../helpers/http-receiver.js';
import { message } from '../helpers/alert-message.js';
import { startSmtpPeer } from '../helpers/smtp-peer.js';

let peer: HttpReceiver;
before(async () => {
  peer = await startHttpReceiver();
});
after(() => peer.close());
beforeEach(() => {
  peer.requests.length = 0;
  peer.reply({ status: 200, body: 'ok' });
});

const route = (r: Partial<ChannelRoute> & { channel: ChannelRoute['channel'] }): ChannelRoute => ({ timeout: 2000, retries: 3, ...r });

describe('createChannel', () => {
  it('route targets override the integration (ntfy topic, telegram chat, webhook url + headers)', async () => {
    const integrations = {
      ntfy: { enabled: true, server: peer.url, topic: 'default-topic' },
      telegram: { enabled: true, bot_token: 'bot-token-xyz', chat_id: '1', api_base_url: peer.url },
      webhook: { enabled: true, url: `${peer.url}/integration`, headers: { 'x-a': 'integration', 'x-b': 'integration' } },
    };
    await createChannel(route({ channel: 'ntfy', topic: 'warn-topic' }), integrations).send(message());
    peer.reply({ status: 200, body: { ok: true } });
    await createChannel(route({ channel: 'telegram', chat_id: '777' }), integrations).send(message());
    peer.reply({ status: 200, body: 'ok' });
    await createChannel(route({ channel: 'webhook', webhook_url: `${peer.url}/route`, headers: { 'x-b': 'route' } }), integrations).send(message());
    await createChannel(route({ channel: 'webhook' }), integrations).send(message());
    const [n, t, w1, w2] = await peer.waitFor(4);
    assert.equal(n!.path, '/warn-topic');
    assert.equal(JSON.parse(t!.body).chat_id, '777');
    assert.equal(w1!.path, '/route');
    assert.equal(w1!.headers['x-a'], 'integration');
    assert.equal(w1!.headers['x-b'], 'route');
    assert.equal(w2!.path, '/integration');
  });

  it('the route timeout is the attempt timeout', async () => {
    peer.reply({ hang: true });
    const ch = createChannel(route({ channel: 'slack', webhook_url: peer.url, timeout: 150 }), {});
    const t0 = performance.now();
    await assert.rejects(ch.send(message()), /timed out after 150ms/);
    assert.ok(performance.now() - t0 < 800);
  });

  it('twilio contacts come from the route; file path from route or integration', async () => {
    peer.reply({ status: 201, body: { sid: 'x' } });
    const twilio = { enabled: true, account_sid: 'AC9', auth_token: 'twilio-tok', from_number: '+1000', api_base_url: peer.url };
    await createChannel(route({ channel: 'twilio_call', contacts: [{ name: 'A', phone: '+1001' }] }), { twilio }).send(message());
    const [req] = await peer.waitFor(1);
    assert.equal(req!.path, '/2010-04-01/Accounts/AC9/Calls.json');

    const dir = mkdtempSync(join(tmpdir(), 'pm-factory-'));
    try {
      await createChannel(route({ channel: 'file' }), { file: { enabled: true, path: join(dir, 'a.jsonl') } }).send(message());
      await createChannel(route({ channel: 'file', path: join(dir, 'b.jsonl') }), { file: { enabled: true, path: join(dir, 'a.jsonl') } }).send(message());
      assert.equal(readFileSync(join(dir, 'a.jsonl'), 'utf8').trim().split('\n').length, 1);
      assert.equal(readFileSync(join(dir, 'b.jsonl'), 'utf8').trim().split('\n').length, 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('console writes to the injected stream', async () => {
    const out: string[] = [];
    await createChannel(route({ channel: 'console' }), {}, { stderr: { write: (s: string) => out.push(s) } }).send(message());
    assert.equal(out.length, 1);
    assert.match(out[0]!, /^\[CRITICAL\] web-1 high_cpu: /);
  });

  it('registers credentials for redaction', () => {
    createChannel(route({ channel: 'telegram' }), { telegram: { enabled: true, bot_token: 'very-secret-bot-token', chat_id: '1' } });
    createChannel(route({ channel: 'webhook', hmac_secret: 'route-hmac-secret', url: 'http://127.0.0.1:1/' }), {});
    assert.equal(maskSecrets('token very-secret-bot-token and route-hmac-secret'), 'token *** and ***');
  });

  it('a route missing its integration or target is a ConfigError naming the place', () => {
    const cases: [ChannelRoute, RegExp][] = [
      [route({ channel: 'telegram' }), /needs integrations\.telegram/],
      [route({ channel: 'discord' }), /needs integrations\.discord\.webhook_url or a webhook_url/],
      [route({ channel: 'webhook' }), /needs a webhook_url on the route or integrations\.webhook\.url/],
      [route({ channel: 'ntfy' }), /needs integrations\.ntfy/],
      [route({ channel: 'email' }), /needs integrations\.email/],
      [route({ channel: 'twilio_sms' }), /needs integrations\.twilio/],
      [route({ channel: 'alertmanager' }), /needs integrations\.alertmanager\.url or a url/],
      [route({ channel: 'file' }), /needs a path/],
    ];
    for (const [r, expected] of cases) {
      assert.throws(
        () => createChannel(r, {}, { place: 'alerts.critical[2]' }),
        (err: Error) => err instanceof ConfigError && expected.test(err.message) && err.message.includes('alerts.critical[2]: channel'),
        r.channel,
      );
    }
    const twilio = { enabled: true, account_sid: 'AC', auth_token: 'tok', from_number: '+1' };
    assert.throws(() => createChannel(route({ channel: 'twilio_sms', contacts: [] }), { twilio }), /needs contacts/);
    const email = { enabled: true, smtp_host: 'h', smtp_port: 25, from_email: 'a@b', to_email: [], use_tls: false, secure: false };
    assert.throws(() => createChannel(route({ channel: 'email' }), { email }), /needs a recipient/);
  });

  it('every configured channel name has a factory case and an integration key', () => {
    for (const name of channels) {
      assert.ok(['telegram', 'discord', 'slack', 'ntfy', 'webhook', 'email', 'twilio', 'alertmanager', 'console', 'file'].includes(integrationOf(name)), name);
    }
    assert.equal(createChannel(route({ channel: 'console' }), {}).name, 'console');
  });

  it('email: route to, then route email, override to_email', async () => {
    const smtp = await startSmtpPeer({ disabledCommands: ['STARTTLS', 'AUTH'] });
    const email = { enabled: true, smtp_host: '127.0.0.1', smtp_port: smtp.port, from_email: 'a@b.example', to_email: ['x@y.example'], use_tls: false, secure: false };
    try {
      for (const r of [route({ channel: 'email', email: 'one@y.example' }), route({ channel: 'email', email: 'one@y.example', to: ['p@y.example', 'q@y.example'] }), route({ channel: 'email' })]) {
        const ch = createChannel(r, { email });
        await ch.send(message());
        await ch.close?.();
      }
      assert.deepEqual(smtp.mails.map((m) => m.to), [['one@y.example'], ['p@y.example', 'q@y.example'], ['x@y.example']]);
    } finally {
      await smtp.close();
    }
  });
});
