/**
 * Email through nodemailer over SMTP: STARTTLS required when `use_tls` (port 587),
 * implicit TLS when `secure` or port 465, plain SMTP when neither (a local relay on
 * 25); authentication only when a username is set. One transport per channel, no pool:
 * each send opens one connection, so a dead relay never leaves a half-open pool behind.
 * Every message has a plain-text and an HTML part; the subject is the title.
 */
import type { ConnectionOptions } from 'node:tls';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import { AlertDeliveryError } from '../../errors.js';
import type { AlertChannel, AlertMessage } from '../alert.js';

export interface EmailOptions {
  smtp_host: string;
  smtp_port: number;
  smtp_username?: string;
  smtp_password?: string;
  from_email: string;
  to_email: string | string[];
  /** STARTTLS, required (port 587) */
  use_tls: boolean;
  /** implicit TLS (port 465) */
  secure?: boolean;
  /** one attempt (connect, greeting, each command), ms */
  timeout: number;
  /** TLS settings for the SMTP connection (a private CA, the server name); not from config */
  tls?: ConnectionOptions;
  /** the server took the message for some recipients and refused others */
  onPartialFailure?: (rejected: string[]) => void;
}

/** Escapes text for HTML. */
export const escapeHtml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const colour: Record<string, string> = { critical: '#b00020', warning: '#b26a00', info: '#1a5fb4', resolved: '#2e7d32' };

/** The HTML part: the title as a heading, each text line as a line. */
export const emailHtml = (m: AlertMessage): string => {
  const c = colour[m.status === 'resolved' ? 'resolved' : m.severity];
  const lines = m.text.split('\n').map((l) => escapeHtml(l)).join('<br>\n');
  return (
    `<!doctype html><html><body style="font-family:sans-serif">\n` +
    `<h3 style="color:${c}">${escapeHtml(m.title)}</h3>\n<p>${lines}</p>\n</body></html>\n`
  );
};

/** The recipients as a list (config allows one string, comma-separated or not, or a list). */
export const recipients = (to: string | string[]): string[] =>
  (Array.isArray(to) ? to : [to]).flatMap((t) => t.split(',')).map((t) => t.trim()).filter((t) => t !== '');

/** nodemailer's error as one line: its code and message (which quotes the server's reply). */
const describe = (err: unknown): string => {
  const e = err as { code?: string; response?: string; message?: string };
  let msg = (e.message ?? String(err)).replace(/\s+/g, ' ').trim();
  if (e.response && !msg.includes(e.response.trim())) msg += `: ${e.response.replace(/\s+/g, ' ').trim()}`;
  return e.code && !msg.includes(e.code) ? `${e.code}: ${msg}` : msg;
};

export const createEmailChannel = (o: EmailOptions): AlertChannel => {
  const to = recipients(o.to_email);
  const secure = o.secure === true || o.smtp_port === 465;
  const smtp: SMTPTransport.Options = {
    host: o.smtp_host,
    port: o.smtp_port,
    secure,
    requireTLS: !secure && o.use_tls,
    // Without use_tls we still upgrade if offered, but never fail for want of it.
    ignoreTLS: false,
    // SMTPTransport, not SMTPPool: no pool, one connection per send.
    auth: o.smtp_username ? { user: o.smtp_username, pass: o.smtp_password ?? '' } : undefined,
    connectionTimeout: o.timeout,
    greetingTimeout: o.timeout,
    socketTimeout: o.timeout,
    tls: o.tls,
  };
  // nodemailer is loaded on the first email, not at start (memory for agents without email).
  let transport: Promise<ReturnType<typeof import('nodemailer').createTransport<SMTPTransport.SentMessageInfo>>> | undefined;
  const transportNow = () => (transport ??= import('nodemailer').then((m) => m.default.createTransport(smtp)));

  return {
    name: 'email',
    async send(message: AlertMessage, signal?: AbortSignal): Promise<void> {
      if (to.length === 0) throw new AlertDeliveryError('email', 'no recipient (to_email, or email/to on the route)');
      if (signal?.aborted) throw new AlertDeliveryError('email', 'aborted');
      const where = `${o.smtp_host}:${o.smtp_port}`;
      // nodemailer has no AbortSignal and its timeouts are per step: bound the whole
      // attempt so a server that trickles replies cannot hold the dispatcher.
      let timer: NodeJS.Timeout | undefined;
      let onAbort: (() => void) | undefined;
      const bounded = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new AlertDeliveryError('email', `timed out after ${o.timeout}ms (${where})`)), o.timeout);
        onAbort = () => reject(new AlertDeliveryError('email', 'aborted'));
        signal?.addEventListener('abort', onAbort, { once: true });
      });
      try {
        const info = await Promise.race([
          transportNow().then((t) => t.sendMail({
            from: o.from_email,
            to,
            subject: message.title,
            text: message.text,
            html: emailHtml(message),
            headers: { 'X-PanicMode-Alert-Id': message.id, 'X-PanicMode-Severity': message.severity },
          })),
          bounded,
        ]);
        // nodemailer throws when every recipient is refused; some refused means the others
        // have it, and a retry would send it to them twice.
        if (info.rejected.length > 0) o.onPartialFailure?.(info.rejected.map(String));
      } catch (err) {
        if (err instanceof AlertDeliveryError) throw err;
        throw new AlertDeliveryError('email', `${describe(err)} (${where})`, { cause: err });
      } finally {
        clearTimeout(timer);
        if (onAbort) signal?.removeEventListener('abort', onAbort);
      }
    },
    async close(): Promise<void> {
      if (transport) (await transport).close();
    },
  };
};
