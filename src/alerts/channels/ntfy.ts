/**
 * ntfy: POST the text to `{server}/{topic}` with Title, Priority and Tags headers.
 * Priority follows severity (critical 5 "urgent", warning 4 "high", info 3 "default")
 * unless the integration fixes one; tags give the emoji (rotating_light / warning /
 * information_source, plus white_check_mark on recovery). HTTP headers are Latin-1
 * only, so a title with other characters is sent RFC 2047-encoded, which ntfy decodes.
 */
import type { Severity } from '../../model/incident.js';
import type { AlertChannel, AlertMessage } from '../alert.js';
import { expect2xx, postOnce } from './http-post.js';
import { createKeepAlivePool } from './keep-alive-pool.js';

export interface NtfyOptions {
  /** default https://ntfy.sh */
  server?: string;
  topic: string;
  /** access token for a protected topic */
  token?: string;
  /** 1..5; default by severity */
  priority?: number;
  /** extra tags after the severity's */
  tags?: string[];
  /** one attempt, ms */
  timeout: number;
}

export const ntfyPriority: Record<Severity, number> = { critical: 5, warning: 4, info: 3 };
export const ntfyTag: Record<Severity, string> = { critical: 'rotating_light', warning: 'warning', info: 'information_source' };

/** A header value as is when printable ASCII, else RFC 2047 base64 (`=?UTF-8?B?...?=`). */
export const headerValue = (s: string): string =>
  /^[\x20-\x7e]*$/.test(s) ? s : `=?UTF-8?B?${Buffer.from(s, 'utf8').toString('base64')}?=`;

/** The headers ntfy reads for one alert. */
export const ntfyHeaders = (m: AlertMessage, o: Pick<NtfyOptions, 'token' | 'priority' | 'tags'>): Record<string, string> => {
  const tags = [ntfyTag[m.severity], ...(m.status === 'resolved' ? ['white_check_mark'] : []), ...(o.tags ?? [])];
  return {
    'content-type': 'text/plain; charset=utf-8',
    title: headerValue(m.title),
    priority: String(o.priority ?? (m.status === 'resolved' ? 3 : ntfyPriority[m.severity])),
    tags: tags.join(','),
    ...(o.token ? { authorization: `Bearer ${o.token}` } : {}),
  };
};

export const createNtfyChannel = (o: NtfyOptions): AlertChannel => {
  const url = `${(o.server ?? 'https://ntfy.sh').replace(/\/+$/, '')}/${encodeURIComponent(o.topic)}`;
  const pool = createKeepAlivePool();
  return {
    name: 'ntfy',
    async send(message: AlertMessage, signal?: AbortSignal): Promise<void> {
      const reply = await postOnce({
        channel: 'ntfy',
        url,
        body: message.text,
        headers: ntfyHeaders(message, o),
        timeoutMs: o.timeout,
        signal,
        pool,
      });
      expect2xx('ntfy', reply);
    },
    close: async () => pool.close(),
  };
};
