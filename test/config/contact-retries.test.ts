/**
 * `alerts.*[].contacts[].retries` has an effect (issue 9): a contact whose text or call
 * fails is tried again within the same send, up to its own retries, while a contact
 * without retries is tried once; and the send is given time for those attempts instead
 * of being cut off at the route's timeout. Through the channel factory, as the agent
 * builds it from a config, against a local peer speaking Twilio's API.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createChannel } from '../../src/alerts/channels/index.js';
import { sendTimeoutMs } from '../../src/alerts/dispatcher.js';
import { startHttpReceiver } from '../alerts/helpers/http-receiver.js';
import { message } from '../alerts/helpers/alert-message.js';

const peer = await startHttpReceiver();
after(() => peer.close());

test('contacts[].retries: a failing contact is tried again up to its retries within one send; one without retries once', async () => {
  // Bob's first two texts fail (Twilio answers 503), the third goes through; Carol's always fail.
  let bobFailures = 2;
  peer.reply((req) => {
    const to = new URLSearchParams(req.body).get('To');
    if (to === '+15550002' && bobFailures-- > 0) return { status: 503, body: { code: 20500, message: 'Internal Server Error' } };
    if (to === '+15550003') return { status: 503, body: { code: 20500, message: 'Internal Server Error' } };
    return { status: 201, body: { sid: 'SM1' } };
  });
  const partial: string[] = [];
  const channel = createChannel(
    {
      channel: 'twilio_sms',
      timeout: 2000,
      contacts: [
        { name: 'Alice', phone: '+15550001' },
        { name: 'Bob', phone: '+15550002', retries: 2 },
        { name: 'Carol', phone: '+15550003', retries: 1 },
      ],
    },
    { twilio: { enabled: true, account_sid: 'AC1', auth_token: 'tok', from_number: '+15559999', api_base_url: peer.url } },
    { logger: { warn: (msg: string, fields?: Record<string, unknown>) => partial.push(`${msg} ${String(fields?.failed)}`) } as never },
  );
  await channel.send(message());
  const to = peer.requests.map((r) => new URLSearchParams(r.body).get('To'));
  assert.equal(to.filter((x) => x === '+15550001').length, 1, 'Alice reached at once: one text');
  assert.equal(to.filter((x) => x === '+15550002').length, 3, 'Bob: two failures, then reached on his second retry');
  assert.equal(to.filter((x) => x === '+15550003').length, 2, 'Carol: first attempt and her one retry');
  assert.equal(partial.length, 1);
  assert.match(partial[0]!, /^twilio_sms: some contacts not reached Carol: /, 'only Carol, who used up her retries, is reported');
});

test('a send through contacts is bounded by the slowest contact\'s attempts, not cut off at the route\'s timeout', () => {
  assert.equal(sendTimeoutMs({ channel: 'telegram', timeout: 10_000 }), 10_000);
  assert.equal(sendTimeoutMs(undefined), 10_000);
  // the Rust PanicMode's example: route timeout 10 s (default), contacts of 2 minutes with 3 and 2 retries
  assert.equal(
    sendTimeoutMs({ channel: 'twilio_call', timeout: 10_000, contacts: [{ timeout: 120_000, retries: 3 }, { timeout: 120_000, retries: 2 }] }),
    480_000,
  );
  assert.equal(sendTimeoutMs({ channel: 'twilio_sms', timeout: 30_000, contacts: [{}, { retries: 1 }] }), 60_000);
  assert.equal(sendTimeoutMs({ channel: 'twilio_call', timeout: 600_000, contacts: [{ retries: 100_000 }] }), 2 ** 31 - 1, 'never beyond what a timer can wait');
});
