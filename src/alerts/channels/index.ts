/**
 * The channel registry: builds the AlertChannel for one route in `alerts:` from the
 * route and the credentials under `integrations:`. A route's own target (webhook_url,
 * topic, chat_id, email/to, contacts, url, labels, headers, hmac_secret, path) wins
 * over its integration's. Secrets met here are registered with the logger's redaction.
 *
 * The factory does not look at `enabled`: skipping disabled integrations is routing's
 * choice (see `integrationOf` in ../routing.ts). A route whose integration is missing throws a
 * ConfigError naming what is missing.
 */
import { ConfigError } from '../../errors.js';
import { redact, type Logger } from '../../log/logger.js';
import type { AlertRouteConfig, IntegrationsConfig } from '../../config/schema.js';
import type { AlertChannel } from '../alert.js';
import { createAlertmanagerChannel } from './alertmanager.js';
import { createConsoleChannel } from './console.js';
import { createDiscordChannel } from './discord.js';
import { createEmailChannel, recipients } from './email.js';
import { createFileChannel } from './file.js';
import { createNtfyChannel } from './ntfy.js';
import { createSlackChannel } from './slack.js';
import { createTelegramChannel } from './telegram.js';
import { createTwilioCallChannel } from './twilio-call.js';
import type { TwilioOptions } from './twilio-request.js';
import { createTwilioSmsChannel } from './twilio-sms.js';
import { createWebhookChannel } from './webhook.js';

/** What a channel may need besides its config. All optional. */
export interface ChannelDeps {
  /** partial failures (some contacts/recipients not reached) are logged here */
  logger?: Logger;
  /** where the console channel writes (default process.stderr) */
  stderr?: { write(chunk: string): unknown };
  /** clock, unix ms (alertmanager endsAt) */
  now?: () => number;
  /** where the route sits in the config, for errors: `alerts.critical[1]` */
  place?: string;
  /** TLS options for SMTP (a private CA in tests); not from config */
  emailTls?: import('node:tls').ConnectionOptions;
}

/** The route fields a channel reads; the config's AlertRoute satisfies it. `timeout` in ms. */
export type ChannelRoute = Pick<AlertRouteConfig, 'channel'> & { timeout: number } & Partial<Omit<AlertRouteConfig, 'channel' | 'timeout'>>;

/** Builds the channel for one route; throws ConfigError when it lacks its integration or target. */
export const createChannel = (route: ChannelRoute, integrations: Partial<IntegrationsConfig>, deps: ChannelDeps = {}): AlertChannel => {
  const place = deps.place ?? `alerts route "${route.channel}"`;
  const missing = (what: string): never => {
    throw new ConfigError([`${place}: channel ${route.channel} needs ${what}`]);
  };
  const secret = (s: string | undefined): void => {
    if (s) redact(s);
  };
  const timeout = route.timeout;
  const log = deps.logger;

  switch (route.channel) {
    case 'telegram': {
      const i = integrations.telegram ?? missing('integrations.telegram (bot_token, chat_id)');
      const chat_id = route.chat_id ?? i.chat_id ?? missing('a chat_id (on the route or in integrations.telegram)');
      secret(i.bot_token);
      return createTelegramChannel({ bot_token: i.bot_token, chat_id, api_base_url: i.api_base_url, timeout });
    }
    case 'discord':
    case 'slack': {
      const url = route.webhook_url ?? integrations[route.channel]?.webhook_url ?? missing(`integrations.${route.channel}.webhook_url or a webhook_url on the route`);
      secret(url); // the URL is the credential
      return route.channel === 'discord' ? createDiscordChannel({ webhook_url: url, timeout }) : createSlackChannel({ webhook_url: url, timeout });
    }
    case 'ntfy': {
      const i = integrations.ntfy ?? missing('integrations.ntfy (server, topic)');
      secret(i.token);
      return createNtfyChannel({ server: i.server, topic: route.topic ?? i.topic, token: i.token, priority: i.priority, tags: i.tags, timeout });
    }
    case 'webhook': {
      const i = integrations.webhook;
      const url = route.webhook_url ?? route.url ?? i?.url ?? missing('a webhook_url on the route or integrations.webhook.url');
      const hmac_secret = route.hmac_secret ?? i?.hmac_secret;
      secret(hmac_secret);
      return createWebhookChannel({ url, hmac_secret, headers: { ...i?.headers, ...route.headers }, timeout });
    }
    case 'email': {
      const i = integrations.email ?? missing('integrations.email (smtp_host, from_email, ...)');
      const to = route.to && route.to.length > 0 ? route.to : route.email ? [route.email] : i.to_email;
      if (recipients(to).length === 0) missing('a recipient (route email/to or integrations.email.to_email)');
      secret(i.smtp_password);
      return createEmailChannel({
        ...i,
        to_email: to,
        timeout,
        tls: deps.emailTls,
        onPartialFailure: (rejected) => log?.warn('email: some recipients refused', { rejected: rejected.join(',') }),
      });
    }
    case 'twilio_sms':
    case 'twilio_call': {
      const i = integrations.twilio ?? missing('integrations.twilio (account_sid, auth_token, from_number)');
      const contacts = route.contacts && route.contacts.length > 0 ? route.contacts : missing('contacts (name, phone) on the route');
      secret(i.auth_token);
      const channel = route.channel;
      const o: TwilioOptions = {
        account_sid: i.account_sid,
        auth_token: i.auth_token,
        from_number: i.from_number,
        api_base_url: i.api_base_url,
        timeout,
        contacts: contacts.map((c) => ({ name: c.name, phone: c.phone, timeout: c.timeout, retries: c.retries })),
        onPartialFailure: (failures) =>
          log?.warn(`${channel}: some contacts not reached`, {
            failed: failures.map((f) => `${f.contact.name}: ${f.error.message}`).join('; '),
          }),
      };
      return channel === 'twilio_sms' ? createTwilioSmsChannel(o) : createTwilioCallChannel(o);
    }
    case 'alertmanager': {
      const i = integrations.alertmanager;
      const url = route.url ?? i?.url ?? missing('integrations.alertmanager.url or a url on the route');
      return createAlertmanagerChannel({ url, labels: { ...i?.labels, ...route.labels }, timeout, now: deps.now });
    }
    case 'console':
      return createConsoleChannel({ stream: deps.stderr });
    case 'file': {
      const path = route.path ?? integrations.file?.path ?? missing('a path (route path or integrations.file.path)');
      return createFileChannel({ path });
    }
    default: {
      const never: never = route.channel;
      throw new ConfigError([`${place}: unknown channel ${String(never)}`]);
    }
  }
};
