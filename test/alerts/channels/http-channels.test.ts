/**
 * Each HTTP channel against a local peer speaking its API's shape: the exact request
 * (method, path, headers, body) and how the peer's answers are judged.
 */
import { createHmac } from 'node:crypto';
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { AlertDeliveryError } from '../../../src/errors.js';
import { createDiscordChannel, DISCORD_MAX_CONTENT } from '../../../src/alerts/channels/discord.js';
import { createNtfyChannel } from '../../../src/alerts/channels/ntfy.js';
import { createSlackChannel } from '../../../src/alerts/channels/slack.js';
import { createTelegramChannel } from '../../../src/alerts/channels/telegram.js';
import { createTwilioCallChannel } from '../../../src/alerts/channels/twilio-call.js';
import { createTwilioSmsChannel } from '../../../src/alerts/channels/twilio-sms.js';
import { createWebhookChannel } from '../../../src/alerts/channels/webhook.js';
import type { DeliveryFailure } from '../../../src/alerts/channels/http-post.js';
import { startHttpReceiver, type HttpReceiver } from '../helpers/http-receiver.js';
import { message } from '../helpers/alert-message.js';

let peer: HttpReceiver;
before(async () => {
  peer = await startHttpReceiver();
});
after(() => peer.close());
beforeEach(() => {
  peer.requests.length = 0;
  peer.reply({ status: 200, body: 'ok' });
});

const json = (body: string): any => JSON.parse(body);

describe('telegram', () => {
  const channel = () => createTelegramChannel({ bot_token: '123:ABC-secret', chat_id: '-100987', api_base_url: peer.url, timeout: 2000 });

  it('POSTs sendMessage with chat_id, plain text and previews off', async () => {
    peer.reply({ status: 200, body: { ok: true, result: { message_id: 7 } } });
    const m = message();
    await channel().send(m);
    const [req] = await peer.waitFor(1);
    assert.equal(req!.method, 'POST');
    assert.equal(req!.path, '/bot123:ABC-secret/sendMessage');
    assert.equal(req!.headers['content-type'], 'application/json');
    assert.deepEqual(json(req!.body), { chat_id: '-100987', text: `${m.title}\n\n${m.text}`, disable_web_page_preview: true });
    assert.equal(json(req!.body).parse_mode, undefined);
  });

  it('rejects with the Bot API description when ok is false, without the token', async () => {
    peer.reply({ status: 400, body: { ok: false, error_code: 400, description: 'Bad Request: chat not found' } });
    await assert.rejects(channel().send(message()), (err: Error) => {
      assert.ok(err instanceof AlertDeliveryError);
      assert.equal(err.message, 'telegram: HTTP 400: Bad Request: chat not found');
      assert.ok(!err.message.includes('ABC-secret'));
      return true;
    });
  });

  it('rejects a 200 reply that lacks ok: true', async () => {
    peer.reply({ status: 200, body: { ok: false, description: 'odd proxy' } });
    await assert.rejects(channel().send(message()), /telegram: HTTP 200: odd proxy/);
  });

  it('carries retry_after of a 429 as retryAfterMs', async () => {
    peer.reply({ status: 429, body: { ok: false, error_code: 429, description: 'Too Many Requests: retry after 3', parameters: { retry_after: 3 } } });
    await assert.rejects(channel().send(message()), (err: DeliveryFailure) => {
      assert.equal(err.status, 429);
      assert.equal(err.retryAfterMs, 3000);
      return true;
    });
  });

  it('cuts text to 4096 characters', async () => {
    peer.reply({ status: 200, body: { ok: true } });
    await channel().send(message({ description: 'x'.repeat(5000) }));
    const [req] = await peer.waitFor(1);
    const text: string = json(req!.body).text;
    assert.equal(text.length, 4096);
    assert.ok(text.endsWith('…'));
  });
});

describe('discord', () => {
  const channel = () => createDiscordChannel({ webhook_url: `${peer.url}/api/webhooks/42/tok3n`, timeout: 2000 });

  it('POSTs {content} with mentions disabled; 204 is success', async () => {
    peer.reply({ status: 204 });
    const m = message();
    await channel().send(m);
    const [req] = await peer.waitFor(1);
    assert.equal(req!.method, 'POST');
    assert.equal(req!.path, '/api/webhooks/42/tok3n');
    assert.equal(req!.headers['content-type'], 'application/json');
    assert.deepEqual(json(req!.body), { content: `${m.title}\n\n${m.text}`, allowed_mentions: { parse: [] } });
  });

  it('keeps content within 2000 characters', async () => {
    peer.reply({ status: 204 });
    await channel().send(message({ metadata: { details: 'y'.repeat(3000) } }));
    const [req] = await peer.waitFor(1);
    assert.equal(json(req!.body).content.length, DISCORD_MAX_CONTENT);
  });

  it('429 rejects with retry_after in ms', async () => {
    peer.reply({ status: 429, body: { message: 'You are being rate limited.', retry_after: 1.5, global: false } });
    await assert.rejects(channel().send(message()), (err: DeliveryFailure) => {
      assert.match(err.message, /^discord: HTTP 429: rate limited: You are being rate limited\. \(retry after 1500ms\)$/);
      assert.equal(err.retryAfterMs, 1500);
      return true;
    });
  });

  it('404 (deleted webhook) rejects with Discord message', async () => {
    peer.reply({ status: 404, body: { message: 'Unknown Webhook', code: 10015 } });
    await assert.rejects(channel().send(message()), /^AlertDeliveryError: discord: HTTP 404: Unknown Webhook$|discord: HTTP 404: Unknown Webhook/);
  });
});

describe('slack', () => {
  const channel = () => createSlackChannel({ webhook_url: `${peer.url}/services/T0/B0/XXX`, timeout: 2000 });

  it('POSTs text + a mrkdwn section, escaping & < >; "ok" is success', async () => {
    const m = message({ description: 'load <high> & rising' });
    await channel().send(m);
    const [req] = await peer.waitFor(1);
    assert.equal(req!.method, 'POST');
    assert.equal(req!.path, '/services/T0/B0/XXX');
    const body = json(req!.body);
    assert.equal(body.text, 'CRITICAL high_cpu on web-1: load &lt;high&gt; &amp; rising');
    assert.equal(body.blocks.length, 1);
    assert.equal(body.blocks[0].type, 'section');
    assert.equal(body.blocks[0].text.type, 'mrkdwn');
    assert.ok(body.blocks[0].text.text.startsWith('*CRITICAL high_cpu on web-1: load &lt;high&gt; &amp; rising*\nWhat: '));
  });

  it('a 200 whose body is not "ok" is not accepted; 4xx names Slack error code', async () => {
    peer.reply({ status: 200, body: 'something else' });
    await assert.rejects(channel().send(message()), /slack: HTTP 200: something else/);
    peer.reply({ status: 404, body: 'no_service' });
    await assert.rejects(channel().send(message()), /slack: HTTP 404: no_service/);
  });
});

describe('ntfy', () => {
  it('POSTs the text to /topic with Title, Priority, Tags and bearer auth', async () => {
    const ch = createNtfyChannel({ server: `${peer.url}/`, topic: 'panic-alerts', token: 'tk_abc', timeout: 2000 });
    const m = message({}, { actionsTaken: [] });
    await ch.send(m);
    const [req] = await peer.waitFor(1);
    assert.equal(req!.method, 'POST');
    assert.equal(req!.path, '/panic-alerts');
    assert.equal(req!.body, m.text);
    assert.equal(req!.headers.title, m.title);
    assert.equal(req!.headers.priority, '5');
    assert.equal(req!.headers.tags, 'rotating_light');
    assert.equal(req!.headers.authorization, 'Bearer tk_abc');
  });

  it('priority and tags by severity and status; no auth without token; non-ASCII title RFC 2047-encoded', async () => {
    const ch = createNtfyChannel({ server: peer.url, topic: 'warn', timeout: 2000, tags: ['server'] });
    await ch.send(message({ severity: 'warning' }));
    await ch.send(message({ severity: 'info', status: 'resolved', description: 'resolved: CPU 40% > 80%', metadata: { currentValue: 40 } }));
    await ch.send(message({ description: 'disk /srv 95% ≥ 90%' }));
    const [w, r, u] = await peer.waitFor(3);
    assert.equal(w!.headers.priority, '4');
    assert.equal(w!.headers.tags, 'warning,server');
    assert.equal(w!.headers.authorization, undefined);
    assert.equal(r!.headers.priority, '3');
    assert.equal(r!.headers.tags, 'information_source,white_check_mark,server');
    assert.match(r!.headers.title as string, /^RESOLVED high_cpu on web-1/);
    const encoded = u!.headers.title as string;
    const m = /^=\?UTF-8\?B\?(.+)\?=$/.exec(encoded);
    assert.ok(m, encoded);
    assert.equal(Buffer.from(m[1]!, 'base64').toString('utf8'), 'CRITICAL high_cpu on web-1: disk /srv 95% ≥ 90%');
  });
});

describe('webhook', () => {
  it('POSTs the JSON document with custom headers and a verifiable HMAC-SHA256 signature', async () => {
    const secret = 's3cret-hmac';
    const ch = createWebhookChannel({ url: `${peer.url}/hooks/panic?src=pm`, hmac_secret: secret, headers: { 'X-Team': 'ops' }, timeout: 2000 });
    const m = message({ metadata: { ips: ['203.0.113.9'] } }, { actionsTaken: ['blocked 1 IP'] });
    await ch.send(m);
    const [req] = await peer.waitFor(1);
    assert.equal(req!.method, 'POST');
    assert.equal(req!.path, '/hooks/panic?src=pm');
    assert.equal(req!.headers['content-type'], 'application/json');
    assert.equal(req!.headers['x-team'], 'ops');
    // the receiver's check: recompute over the raw body
    const expected = 'sha256=' + createHmac('sha256', secret).update(req!.body).digest('hex');
    assert.equal(req!.headers['x-panicmode-signature'], expected);
    const body = json(req!.body);
    assert.deepEqual(body, {
      id: 'alert-1',
      status: 'firing',
      severity: 'critical',
      host: 'web-1',
      title: m.title,
      text: m.text,
      incident: {
        key: 'cpu_usage|high_cpu',
        name: 'high_cpu',
        description: 'CPU 97.3% > 80%',
        monitor_type: 'cpu_usage',
        threshold: 80,
        current_value: 97.3,
        details: 'top: java (pid 4242, 95%)',
        ips: ['203.0.113.9'],
        pids: [4242],
        count: 1,
        ts: '2026-11-21T14:03:07.000Z',
      },
      actions_taken: ['blocked 1 IP'],
      ts: '2026-11-21T14:03:07.005Z',
    });
  });

  it('a signature over another secret or another body does not verify', async () => {
    const ch = createWebhookChannel({ url: peer.url, hmac_secret: 'right', timeout: 2000 });
    await ch.send(message());
    const [req] = await peer.waitFor(1);
    const wrong = 'sha256=' + createHmac('sha256', 'wrong').update(req!.body).digest('hex');
    assert.notEqual(req!.headers['x-panicmode-signature'], wrong);
    const tampered = 'sha256=' + createHmac('sha256', 'right').update(req!.body.replace('web-1', 'web-2')).digest('hex');
    assert.notEqual(req!.headers['x-panicmode-signature'], tampered);
  });

  it('sends no signature header without a secret', async () => {
    await createWebhookChannel({ url: peer.url, timeout: 2000 }).send(message());
    const [req] = await peer.waitFor(1);
    assert.equal(req!.headers['x-panicmode-signature'], undefined);
  });
});

describe('twilio', () => {
  const basic = 'Basic ' + Buffer.from('AC123:authtok').toString('base64');
  const opts = (contacts = [{ name: 'Alice', phone: '+15550001' }, { name: 'Bob', phone: '+15550002' }]) => ({
    account_sid: 'AC123',
    auth_token: 'authtok',
    from_number: '+15559999',
    api_base_url: peer.url,
    timeout: 2000,
    contacts,
  });

  it('sms: one Messages.json form POST per contact with basic auth', async () => {
    peer.reply({ status: 201, body: { sid: 'SM1', status: 'queued' } });
    const m = message();
    await createTwilioSmsChannel(opts()).send(m);
    const reqs = await peer.waitFor(2);
    assert.equal(reqs.length, 2);
    const byTo = new Map(reqs.map((r) => [new URLSearchParams(r.body).get('To'), r]));
    for (const phone of ['+15550001', '+15550002']) {
      const r = byTo.get(phone)!;
      assert.equal(r.method, 'POST');
      assert.equal(r.path, '/2010-04-01/Accounts/AC123/Messages.json');
      assert.equal(r.headers.authorization, basic);
      assert.equal(r.headers['content-type'], 'application/x-www-form-urlencoded');
      const form = new URLSearchParams(r.body);
      assert.deepEqual([...form.keys()], ['From', 'To', 'Body']);
      assert.equal(form.get('From'), '+15559999');
      assert.equal(form.get('Body'), `${m.title}\n\n${m.text}`);
    }
  });

  it('call: Calls.json with TwiML reading the escaped alert twice', async () => {
    peer.reply({ status: 201, body: { sid: 'CA1' } });
    await createTwilioCallChannel(opts([{ name: 'Alice', phone: '+15550001' }])).send(message({ name: 'db<&>"primary"' }));
    const [req] = await peer.waitFor(1);
    assert.equal(req!.path, '/2010-04-01/Accounts/AC123/Calls.json');
    assert.equal(req!.headers.authorization, basic);
    const form = new URLSearchParams(req!.body);
    assert.equal(form.get('To'), '+15550001');
    assert.equal(form.get('From'), '+15559999');
    const twiml = form.get('Twiml')!;
    const say = /^<Response><Say>([^<]*)<\/Say><Pause length="1"\/><Say>([^<]*)<\/Say><\/Response>$/.exec(twiml);
    assert.ok(say, twiml);
    assert.equal(say[1], say[2]);
    assert.match(say[1]!, /db&lt;&amp;&gt;&quot;primary&quot; on web-1: CPU 97\.3 percent above 80 percent/);
    assert.match(say[1]!, /PanicMode already: froze pid 4242\./);
  });

  it('succeeds when one contact is reached, reporting the other; fails listing all when none is', async () => {
    peer.reply((req) =>
      new URLSearchParams(req.body).get('To') === '+15550002'
        ? { status: 400, body: { code: 21211, message: "The 'To' number +15550002 is not a valid phone number.", status: 400 } }
        : { status: 201, body: { sid: 'SM1' } },
    );
    const partial: string[] = [];
    await createTwilioSmsChannel({ ...opts(), onPartialFailure: (f) => partial.push(...f.map((x) => `${x.contact.name}: ${x.error.message}`)) }).send(message());
    assert.deepEqual(partial, ["Bob: twilio_sms: HTTP 400: 21211 The 'To' number +15550002 is not a valid phone number."]);

    peer.reply({ status: 401, body: { code: 20003, message: 'Authenticate', status: 401 } });
    await assert.rejects(
      createTwilioSmsChannel(opts()).send(message()),
      (err: Error) =>
        err instanceof AlertDeliveryError &&
        err.message === 'twilio_sms: no contact reached: Alice (+15550001): HTTP 401: 20003 Authenticate; Bob (+15550002): HTTP 401: 20003 Authenticate',
    );
  });
});
