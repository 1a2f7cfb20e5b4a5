/**
 * Discord: an incoming webhook, `{ content }` of at most 2000 characters. Mentions are
 * disabled so an `@everyone` inside a log line cannot ping a whole server. Discord
 * answers 204 (or 200 with `?wait=true`); 429 carries `retry_after` in seconds.
 */
import type { AlertChannel, AlertMessage } from '../alert.js';
import { plainBody } from '../format.js';
import { httpFailure, jsonBody, postOnce, retryAfterHeader } from './http-post.js';
import { createKeepAlivePool } from './keep-alive-pool.js';

export interface DiscordOptions {
  webhook_url: string;
  /** one attempt, ms */
  timeout: number;
}

/** Discord's limit for a message's content. */
export const DISCORD_MAX_CONTENT = 2000;

export const createDiscordChannel = (o: DiscordOptions): AlertChannel => {
  const pool = createKeepAlivePool();
  return {
    name: 'discord',
    async send(message: AlertMessage, signal?: AbortSignal): Promise<void> {
      const reply = await postOnce({
        channel: 'discord',
        url: o.webhook_url,
        body: JSON.stringify({ content: plainBody(message, DISCORD_MAX_CONTENT), allowed_mentions: { parse: [] } }),
        headers: { 'content-type': 'application/json' },
        timeoutMs: o.timeout,
        signal,
        pool,
      });
      if (reply.status >= 200 && reply.status < 300) return;
      const parsed = jsonBody(reply) as { message?: string; retry_after?: number } | undefined;
      if (reply.status === 429) {
        const after = typeof parsed?.retry_after === 'number' ? Math.round(parsed.retry_after * 1000) : retryAfterHeader(reply);
        throw httpFailure('discord', reply, `rate limited${parsed?.message ? `: ${parsed.message}` : ''}`, after);
      }
      throw httpFailure('discord', reply, parsed?.message);
    },
    close: async () => pool.close(),
  };
};
