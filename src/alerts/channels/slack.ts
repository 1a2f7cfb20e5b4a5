/**
 * Slack: an incoming webhook, `{ text, blocks }`. `text` is the notification fallback,
 * the block shows the title in bold. Slack's mrkdwn treats `&`, `<`, `>` as markup, so
 * they are escaped. An accepted post answers 200 with the body `ok`; errors come as
 * 4xx with a code in the body (`invalid_payload`, `no_service`, ...).
 */
import type { AlertChannel, AlertMessage } from '../alert.js';
import { clip } from '../format.js';
import { httpFailure, postOnce, retryAfterHeader } from './http-post.js';
import { createKeepAlivePool } from './keep-alive-pool.js';

export interface SlackOptions {
  webhook_url: string;
  /** one attempt, ms */
  timeout: number;
}

/** Slack's limit for a section block's text. */
export const SLACK_MAX_SECTION = 3000;

/** Escapes the three characters Slack's mrkdwn gives meaning to. */
export const escapeSlack = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The JSON payload for one alert. */
export const slackPayload = (m: AlertMessage) => ({
  text: escapeSlack(m.title),
  blocks: [
    {
      type: 'section',
      text: { type: 'mrkdwn', text: clip(`*${escapeSlack(m.title)}*\n${escapeSlack(m.text)}`, SLACK_MAX_SECTION) },
    },
  ],
});

export const createSlackChannel = (o: SlackOptions): AlertChannel => {
  const pool = createKeepAlivePool();
  return {
    name: 'slack',
    async send(message: AlertMessage, signal?: AbortSignal): Promise<void> {
      const reply = await postOnce({
        channel: 'slack',
        url: o.webhook_url,
        body: JSON.stringify(slackPayload(message)),
        headers: { 'content-type': 'application/json' },
        timeoutMs: o.timeout,
        signal,
        pool,
      });
      if (reply.status === 200 && reply.body.trim() === 'ok') return;
      throw httpFailure('slack', reply, undefined, reply.status === 429 ? retryAfterHeader(reply) : undefined);
    },
    close: async () => pool.close(),
  };
};
