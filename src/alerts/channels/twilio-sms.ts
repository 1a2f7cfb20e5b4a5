/**
 * twilio_sms: one text message per contact through Twilio's Messages API
 * (From, To, Body). The body is the title and text, cut to Twilio's 1600 characters.
 */
import type { AlertChannel, AlertMessage } from '../alert.js';
import { plainBody } from '../format.js';
import { toContacts, twilioPost, type TwilioOptions } from './twilio-request.js';
import { createKeepAlivePool } from './keep-alive-pool.js';

/** Twilio's limit for a message body. */
export const TWILIO_MAX_BODY = 1600;

export const createTwilioSmsChannel = (o: TwilioOptions): AlertChannel => {
  const pool = createKeepAlivePool();
  return {
    name: 'twilio_sms',
    send: (message: AlertMessage, signal?: AbortSignal): Promise<void> =>
      toContacts('twilio_sms', o, (contact, timeoutMs) =>
        twilioPost(
          'twilio_sms',
          o,
          'Messages.json',
          { From: o.from_number, To: contact.phone, Body: plainBody(message, TWILIO_MAX_BODY) },
          timeoutMs,
          signal,
          pool,
        ),
      ),
    close: async () => pool.close(),
  };
};
