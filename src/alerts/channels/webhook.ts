/**
 * Generic webhook: the alert as JSON, for anything that takes a POST. With a secret,
 * the raw body is signed with HMAC-SHA256 and the signature sent as
 * `X-PanicMode-Signature: sha256=<hex>` (GitHub's scheme), so the receiver can check
 * that the alert came from this agent and was not altered. Custom headers go on every
 * request (integration's first, the route's over them).
 */
import { createHmac } from 'node:crypto';
import type { AlertChannel, AlertMessage } from '../alert.js';
import { expect2xx, postOnce } from './http-post.js';
import { createKeepAlivePool } from './keep-alive-pool.js';

export interface WebhookOptions {
  url: string;
  hmac_secret?: string;
  headers?: Record<string, string>;
  /** one attempt, ms */
  timeout: number;
}

export const SIGNATURE_HEADER = 'x-panicmode-signature';

/** The JSON document a webhook receives (field names snake_case, like the config). */
export const webhookPayload = (m: AlertMessage) => ({
  id: m.id,
  status: m.status,
  severity: m.severity,
  host: m.host,
  title: m.title,
  text: m.text,
  incident: {
    key: m.incident.key,
    name: m.incident.name,
    description: m.incident.description,
    monitor_type: m.incident.metadata.monitorType,
    threshold: m.incident.metadata.threshold,
    current_value: m.incident.metadata.currentValue,
    details: m.incident.metadata.details,
    ips: m.incident.metadata.ips ?? [],
    pids: m.incident.metadata.pids ?? [],
    count: m.incident.count,
    ts: new Date(m.incident.ts).toISOString(),
  },
  actions_taken: m.actionsTaken,
  ts: new Date(m.ts).toISOString(),
});

/** `sha256=<hex>` of the body under the secret: what a receiver recomputes to verify. */
export const signBody = (body: string, secret: string): string =>
  `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;

export const createWebhookChannel = (o: WebhookOptions): AlertChannel => {
  const pool = createKeepAlivePool();
  return {
    name: 'webhook',
    async send(message: AlertMessage, signal?: AbortSignal): Promise<void> {
      const body = JSON.stringify(webhookPayload(message));
      const custom = Object.fromEntries(Object.entries(o.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
      const reply = await postOnce({
        channel: 'webhook',
        url: o.url,
        body,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'PanicMode',
          ...custom,
          ...(o.hmac_secret ? { [SIGNATURE_HEADER]: signBody(body, o.hmac_secret) } : {}),
        },
        timeoutMs: o.timeout,
        signal,
        pool,
      });
      expect2xx('webhook', reply);
    },
    close: async () => pool.close(),
  };
};
