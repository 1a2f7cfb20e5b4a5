/**
 * One HTTP POST attempt for the HTTP channels, with the failure described exactly.
 *
 * The dispatcher owns retries and backoff across attempts, so this never retries
 * (`retry.limit: 0`) and never follows redirects (a webhook that moved is a config
 * problem the operator must see). Every way the attempt can fail becomes an
 * `AlertDeliveryError` whose message names the cause — `HTTP 500: <short body>`,
 * `ECONNREFUSED 127.0.0.1:9`, `timed out after 500ms`, `aborted` — and never the URL's
 * path or query, which for Telegram and Discord holds the credential.
 */
import type { Got, RequestError as GotRequestError } from 'got';

// got (and what it pulls in) costs ~20 MB of RSS: loaded on the first POST, so an agent
// whose channels are console or file never pays for it.
let gotModule: Promise<{ got: Got; RequestError: typeof GotRequestError }> | undefined;
const loadGot = () => (gotModule ??= import('got').then((m) => ({ got: m.default, RequestError: m.RequestError })));
import { AlertDeliveryError } from '../../errors.js';
import type { KeepAlivePool } from './keep-alive-pool.js';

export interface HttpPost {
  /** channel name for the error (`telegram`, `webhook`, ...) */
  channel: string;
  url: string;
  body: string;
  headers: Record<string, string>;
  /** whole attempt, connect to last byte */
  timeoutMs: number;
  signal?: AbortSignal;
  /** the channel's keep-alive connections; absent: a new connection per POST */
  pool?: KeepAlivePool;
}

export interface HttpReply {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

/** An AlertDeliveryError that may carry the peer's `Retry-After` (429) for the dispatcher's backoff. */
export type DeliveryFailure = AlertDeliveryError & { status?: number; retryAfterMs?: number };

/** The body as a short single line for an error message. */
export const shortBody = (body: string, max = 200): string => {
  const line = body.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max)}…` : line;
};

/** Where the request went, without path or query (they may hold a token). */
export const originOf = (url: string): string => {
  try {
    return new URL(url).origin;
  } catch {
    return 'an invalid URL';
  }
};

/** Builds the delivery error for an HTTP reply the channel does not accept. */
export const httpFailure = (
  channel: string,
  reply: HttpReply,
  detail?: string,
  retryAfterMs?: number,
): DeliveryFailure => {
  const what = detail ?? (shortBody(reply.body) || '(empty body)');
  const after = retryAfterMs !== undefined ? ` (retry after ${retryAfterMs}ms)` : '';
  const err: DeliveryFailure = new AlertDeliveryError(channel, `HTTP ${reply.status}: ${what}${after}`);
  err.status = reply.status;
  if (retryAfterMs !== undefined) err.retryAfterMs = retryAfterMs;
  return err;
};

const header = (reply: HttpReply, name: string): string | undefined => {
  const raw = reply.headers[name];
  return Array.isArray(raw) ? raw[0] : raw;
};

/**
 * `Retry-After` header in ms (seconds, or an HTTP date), if present. A date is measured
 * from the reply's own `Date` header — both are the server's clock, so neither our
 * clock (virtual in tests) nor clock skew enters; without a `Date` it is not usable.
 */
export const retryAfterHeader = (reply: HttpReply): number | undefined => {
  const value = header(reply, 'retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.round(seconds * 1000));
  const at = Date.parse(value);
  const sent = Date.parse(header(reply, 'date') ?? '');
  return Number.isNaN(at) || Number.isNaN(sent) ? undefined : Math.max(0, at - sent);
};

const transportFailure = (o: HttpPost, err: unknown, RequestError: typeof GotRequestError): AlertDeliveryError => {
  if (o.signal?.aborted) return new AlertDeliveryError(o.channel, `aborted`, { cause: err });
  if (err instanceof RequestError) {
    if (err.name === 'TimeoutError' || err.code === 'ETIMEDOUT') {
      return new AlertDeliveryError(o.channel, `timed out after ${o.timeoutMs}ms (${originOf(o.url)})`, { cause: err });
    }
    // got's message is already "connect ECONNREFUSED 127.0.0.1:9" and similar.
    const code = err.code && !err.message.includes(err.code) ? `${err.code}: ` : '';
    return new AlertDeliveryError(o.channel, `${code}${err.message} (${originOf(o.url)})`, { cause: err });
  }
  return new AlertDeliveryError(o.channel, `${(err as Error)?.message ?? String(err)} (${originOf(o.url)})`, { cause: err });
};

/**
 * Sends one POST. Resolves with any HTTP reply (the channel decides what "accepted"
 * means: Telegram's `ok`, Slack's `ok` body, 2xx elsewhere); rejects only when no reply
 * came (refused, reset, DNS, timeout, aborted).
 */
export const postOnce = async (o: HttpPost): Promise<HttpReply> => {
  const { got, RequestError } = await loadGot();
  try {
    const res = await got.post(o.url, {
      body: o.body,
      headers: o.headers,
      timeout: { request: o.timeoutMs },
      retry: { limit: 0 },
      throwHttpErrors: false,
      followRedirect: false,
      signal: o.signal,
      ...(o.pool ? { agent: { http: o.pool.http, https: o.pool.https } } : {}),
    });
    return { status: res.statusCode, body: res.body, headers: res.headers };
  } catch (err) {
    throw transportFailure(o, err, RequestError);
  }
};

/** The reply as accepted (2xx) or the delivery error naming status and body. */
export const expect2xx = (channel: string, reply: HttpReply): void => {
  if (reply.status < 200 || reply.status >= 300) throw httpFailure(channel, reply, undefined, retryAfterHeader(reply));
};

/** Parses a JSON reply body, undefined if it is not JSON. */
export const jsonBody = (reply: HttpReply): unknown => {
  try {
    return JSON.parse(reply.body);
  } catch {
    return undefined;
  }
};
