/**
 * twilio_call: one phone call per contact through Twilio's Calls API, with inline TwiML
 * that reads the alert out twice (people pick up mid-sentence). The spoken text is the
 * title with symbols turned into words ("97.3% > 80%" → "97.3 percent above 80 percent"),
 * XML-escaped.
 */
import type { AlertChannel, AlertMessage } from '../alert.js';
import { toContacts, twilioPost, type TwilioOptions } from './twilio-request.js';
import { createKeepAlivePool } from './keep-alive-pool.js';

/** Escapes text for an XML element body or attribute. */
export const escapeXml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');

/** The alert as a sentence a text-to-speech voice reads well. */
export const speakable = (m: AlertMessage): string => {
  const done = m.actionsTaken.length > 0 ? ` PanicMode already: ${m.actionsTaken.join(', ')}.` : '';
  return `PanicMode alert. ${m.title}.${done}`
    // only comparison signs between values; a `<` inside a name stays (and is escaped)
    .replace(/ ≥ /g, ' at or above ')
    .replace(/ ≤ /g, ' at or below ')
    .replace(/ > /g, ' above ')
    .replace(/ < /g, ' below ')
    .replace(/%/g, ' percent')
    .replace(/×(\d+)/g, '$1 times')
    .replace(/_/g, ' ')
    .replace(/ {2,}/g, ' ');
};

/** The TwiML document for one call: the message twice, a pause between. */
export const callTwiml = (m: AlertMessage): string => {
  const say = `<Say>${escapeXml(speakable(m))}</Say>`;
  return `<Response>${say}<Pause length="1"/>${say}</Response>`;
};

export const createTwilioCallChannel = (o: TwilioOptions): AlertChannel => {
  const pool = createKeepAlivePool();
  return {
    name: 'twilio_call',
    send: (message: AlertMessage, signal?: AbortSignal): Promise<void> =>
      toContacts('twilio_call', o, (contact, timeoutMs) =>
        twilioPost('twilio_call', o, 'Calls.json', { From: o.from_number, To: contact.phone, Twiml: callTwiml(message) }, timeoutMs, signal, pool),
      ),
    close: async () => pool.close(),
  };
};
