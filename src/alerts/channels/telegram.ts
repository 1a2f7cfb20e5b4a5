/**
 * Telegram: the Bot API's `sendMessage`, as plain text (no parse mode, so no character
 * in a process name or log line can break the message), link previews off. The Bot API
 * answers `{ ok: false, description }` on failure; `api_base_url` points at a
 * self-hosted Bot API server.
 */
import type { AlertChannel, AlertMessage } from '../alert.js';
import { plainBody } from '../format.js';
import { httpFailure, jsonBody, postOnce } from './http-post.js';
import { createKeepAlivePool } from './keep-alive-pool.js';

export interface TelegramOptions {
  bot_token: string;
  chat_id: string;
  /** default https://api.telegram.org */
  api_base_url?: string;
  /** one attempt, ms */
  timeout: number;
}

/** Telegram's limit for one message's text. */
export const TELEGRAM_MAX_TEXT = 4096;

interface BotApiReply {
  ok?: boolean;
  description?: string;
  error_code?: number;
  parameters?: { retry_after?: number };
}

export const createTelegramChannel = (o: TelegramOptions): AlertChannel => {
  const base = (o.api_base_url ?? 'https://api.telegram.org').replace(/\/+$/, '');
  const url = `${base}/bot${o.bot_token}/sendMessage`;
  const pool = createKeepAlivePool();
  return {
    name: 'telegram',
    async send(message: AlertMessage, signal?: AbortSignal): Promise<void> {
      const reply = await postOnce({
        channel: 'telegram',
        url,
        body: JSON.stringify({
          chat_id: o.chat_id,
          text: plainBody(message, TELEGRAM_MAX_TEXT),
          disable_web_page_preview: true,
        }),
        headers: { 'content-type': 'application/json' },
        timeoutMs: o.timeout,
        signal,
        pool,
      });
      const parsed = jsonBody(reply) as BotApiReply | undefined;
      if (reply.status >= 200 && reply.status < 300 && parsed?.ok === true) return;
      const retryAfter = parsed?.parameters?.retry_after;
      throw httpFailure(
        'telegram',
        reply,
        parsed?.description ?? (reply.status < 300 ? `reply without "ok": true: ${reply.body.slice(0, 200)}` : undefined),
        typeof retryAfter === 'number' ? retryAfter * 1000 : undefined,
      );
    },
    close: async () => pool.close(),
  };
};
