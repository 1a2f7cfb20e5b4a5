/**
 * Every HTTP channel against a failing peer: a 500, a refused connection, a peer that
 * never answers, an abort. Each must reject with an AlertDeliveryError naming the cause,
 * after one attempt, within its timeout.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { AlertDeliveryError } from '../../../src/errors.js';
import type { AlertChannel } from '../../../src/alerts/alert.js';
import { createAlertmanagerChannel } from '../../../src/alerts/channels/alertmanager.js';
import { createDiscordChannel } from '../../../src/alerts/channels/discord.js';
import { createNtfyChannel } from '../../../src/alerts/channels/ntfy.js';
import { createSlackChannel } from '../../../src/alerts/channels/slack.js';
import { createTelegramChannel } from '../../../src/alerts/channels/telegram.js';
import { createTwilioCallChannel } from '../../../src/alerts/channels/twilio-call.js';
import { createTwilioSmsChannel } from '../../../src/alerts/channels/twilio-sms.js';
import { createWebhookChannel } from '../../../src/alerts/channels/webhook.js';
import { closedPort, startHttpReceiver, type HttpReceiver } from '../helpers/http-receiver.js';
import { message } from '../helpers/alert-message.js';

const TIMEOUT = 300;
const twilio = (base: string) => ({
  account_sid: 'AC1',
  auth_token: 'tok',
  from_number: '+1555',
  api_base_url: base,
  timeout: TIMEOUT,
  contacts: [{ name: 'Alice', phone: '+1556' }],
});

const kinds: Record<string, (base: string) => AlertChannel> = {
  telegram: (base) => createTelegramChannel({ bot_token: 't0k', chat_id: '1', api_base_url: base, timeout: TIMEOUT }),
  discord: (base) => createDiscordChannel({ webhook_url: `${base}/api/webhooks/1/x`, timeout: TIMEOUT }),
  slack: (base) => createSlackChannel({ webhook_url: `${base}/services/x`, timeout: TIMEOUT }),
  ntfy: (base) => createNtfyChannel({ server: base, topic: 't', timeout: TIMEOUT }),
  webhook: (base) => createWebhookChannel({ url: `${base}/hook`, timeout: TIMEOUT }),
  twilio_sms: (base) => createTwilioSmsChannel(twilio(base)),
  twilio_call: (base) => createTwilioCallChannel(twilio(base)),
  alertmanager: (base) => createAlertmanagerChannel({ url: base, timeout: TIMEOUT }),
};

let peer: HttpReceiver;
let refused: string;
before(async () => {
  peer = await startHttpReceiver();
  refused = `http://127.0.0.1:${await closedPort()}`;
});
after(() => peer.close());
beforeEach(() => {
  peer.requests.length = 0;
});

for (const [kind, make] of Object.entries(kinds)) {
  describe(`${kind} faults`, () => {
    it('peer returns 500: rejects naming the status and body, after exactly one request', async () => {
      peer.reply({ status: 500, body: 'upstream exploded' });
      await assert.rejects(make(peer.url).send(message()), (err: Error) => {
        assert.ok(err instanceof AlertDeliveryError, String(err));
        assert.equal(err.channel, kind);
        assert.match(err.message, /HTTP 500: upstream exploded/);
        return true;
      });
      assert.equal(peer.requests.length, 1);
    });

    it('connection refused: rejects naming ECONNREFUSED', async () => {
      await assert.rejects(make(refused).send(message()), (err: Error) => {
        assert.ok(err instanceof AlertDeliveryError);
        assert.match(err.message, /ECONNREFUSED/);
        return true;
      });
    });

    it('peer hangs: rejects within the timeout', async () => {
      peer.reply({ hang: true });
      const t0 = performance.now();
      await assert.rejects(make(peer.url).send(message()), (err: Error) => {
        assert.ok(err instanceof AlertDeliveryError);
        assert.match(err.message, new RegExp(`timed out after ${TIMEOUT}ms`));
        return true;
      });
      const took = performance.now() - t0;
      assert.ok(took >= TIMEOUT - 20 && took < TIMEOUT + 700, `took ${took.toFixed(0)}ms`);
      assert.equal(peer.requests.length, 1);
    });

    it('aborted by the dispatcher: rejects as aborted before the timeout', async () => {
      peer.reply({ hang: true });
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 50);
      const t0 = performance.now();
      await assert.rejects(make(peer.url).send(message(), ac.signal), /aborted/);
      assert.ok(performance.now() - t0 < TIMEOUT, 'before the timeout');
    });
  });
}
