/**
 * The part twilio_sms and twilio_call share: one form POST to a Twilio REST resource
 * under `/2010-04-01/Accounts/{sid}/`, HTTP Basic auth `sid:token`, and the fan-out to
 * a route's contacts.
 *
 * Contacts: every contact gets one message (or call) per send, all at once; a contact
 * whose attempt fails is tried again at once, up to its own `retries`, within the same
 * send (the route's retries re-send to every contact, so they cannot stand in for one
 * contact's). The send succeeds when at least one contact was reached — retrying it
 * would text or ring the ones already reached again — and the failed ones are reported
 * through `onPartialFailure` (the factory logs them). When no contact was reached it
 * rejects with one error listing each contact's cause.
 */
import { AlertDeliveryError } from '../../errors.js';
import { httpFailure, jsonBody, postOnce } from './http-post.js';
import type { KeepAlivePool } from './keep-alive-pool.js';

export interface TwilioOptions {
  account_sid: string;
  auth_token: string;
  from_number: string;
  /** default https://api.twilio.com */
  api_base_url?: string;
  /** default per-contact attempt, ms */
  timeout: number;
  contacts: TwilioContact[];
  /** some contacts failed, at least one was reached */
  onPartialFailure?: (failures: { contact: TwilioContact; error: Error }[]) => void;
}

export interface TwilioContact {
  name: string;
  phone: string;
  /** this contact's attempt timeout, ms (overrides the route's) */
  timeout?: number;
  /** attempts after the first one that failed, within one send (default 0) */
  retries?: number;
}

/** POSTs one form to `Accounts/{sid}/{resource}` and checks Twilio accepted it (201/200). */
export const twilioPost = async (
  channel: string,
  o: TwilioOptions,
  resource: 'Messages.json' | 'Calls.json',
  form: Record<string, string>,
  timeoutMs: number,
  signal?: AbortSignal,
  /** the channel's keep-alive connections */
  pool?: KeepAlivePool,
): Promise<void> => {
  const base = (o.api_base_url ?? 'https://api.twilio.com').replace(/\/+$/, '');
  const reply = await postOnce({
    channel,
    url: `${base}/2010-04-01/Accounts/${encodeURIComponent(o.account_sid)}/${resource}`,
    body: new URLSearchParams(form).toString(),
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${o.account_sid}:${o.auth_token}`).toString('base64')}`,
    },
    timeoutMs,
    signal,
    pool,
  });
  if (reply.status >= 200 && reply.status < 300) return;
  // Twilio errors: { code: 21211, message: "The 'To' number ... is not a valid phone number.", status: 400 }
  const parsed = jsonBody(reply) as { code?: number; message?: string } | undefined;
  throw httpFailure(channel, reply, parsed?.message ? `${parsed.code ?? ''} ${parsed.message}`.trim() : undefined);
};

/** Runs `deliver` for every contact; resolves if at least one succeeded (see the file comment). */
export const toContacts = async (
  channel: string,
  o: TwilioOptions,
  deliver: (contact: TwilioContact, timeoutMs: number) => Promise<void>,
): Promise<void> => {
  if (o.contacts.length === 0) throw new AlertDeliveryError(channel, 'no contacts configured on this route');
  const attempt = async (c: TwilioContact): Promise<void> => {
    for (let retry = 0; ; retry++) {
      try {
        return await deliver(c, c.timeout ?? o.timeout);
      } catch (err) {
        if (retry >= (c.retries ?? 0)) throw err;
      }
    }
  };
  const results = await Promise.allSettled(o.contacts.map(attempt));
  const failures = results.flatMap((r, i) =>
    r.status === 'rejected' ? [{ contact: o.contacts[i]!, error: r.reason as Error }] : [],
  );
  if (failures.length === 0) return;
  const listed = failures.map((f) => `${f.contact.name} (${f.contact.phone}): ${stripChannel(channel, f.error.message)}`).join('; ');
  if (failures.length === o.contacts.length) {
    throw new AlertDeliveryError(channel, `no contact reached: ${listed}`, { cause: failures[0]!.error });
  }
  o.onPartialFailure?.(failures);
};

const stripChannel = (channel: string, msg: string): string => (msg.startsWith(`${channel}: `) ? msg.slice(channel.length + 2) : msg);
