/**
 * One delivery attempt through one channel, bounded by a timeout. The channel gets an
 * AbortSignal; a channel that ignores it still cannot hold the caller past the
 * timeout (its late result is dropped), so a hung peer never blocks a delivery lane.
 */
import type { AlertChannel, AlertMessage } from './alert.js';
import { AlertDeliveryError } from '../errors.js';
import { maskSecrets } from '../log/logger.js';

export interface DeliveryResult {
  ok: boolean;
  /** wall time of the attempt */
  ms: number;
  /** the channel's error message (secrets masked), when not ok */
  error?: string;
}

/** Sends once; rejects with the channel's error, or an AlertDeliveryError on timeout/abort. */
export const sendWithTimeout = (
  key: string,
  channel: AlertChannel,
  message: AlertMessage,
  timeoutMs: number,
  controller: AbortController = new AbortController(),
): Promise<void> =>
  new Promise<void>((resolve, reject) => {
    const signal = controller.signal;
    const timer = setTimeout(() => controller.abort(new AlertDeliveryError(key, `timed out after ${timeoutMs} ms`)), timeoutMs);
    const onAbort = () => reject(signal.reason ?? new AlertDeliveryError(key, 'aborted'));
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    let sent: Promise<void>;
    try {
      sent = Promise.resolve(channel.send(message, signal));
    } catch (err) {
      sent = Promise.reject(err);
    }
    sent.then(resolve, reject).finally(() => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    });
  });

/**
 * A readable one-line reason: the error's message without a leading `<channel>: `
 * (callers print the channel themselves), with the cause's message when it adds
 * something (got's "connect ECONNREFUSED 127.0.0.1:9"), secrets masked.
 */
export const describeDeliveryError = (err: unknown): string => {
  if (!(err instanceof Error)) return maskSecrets(String(err));
  let msg = err.message;
  if (err instanceof AlertDeliveryError && msg.startsWith(`${err.channel}: `)) msg = msg.slice(err.channel.length + 2);
  const cause = err.cause instanceof Error ? err.cause.message : undefined;
  if (cause && !msg.includes(cause)) msg = `${msg}: ${cause}`;
  return maskSecrets(msg.replace(/\s*\n\s*/g, ' '));
};

/** One attempt, reported instead of thrown (what `panicmode alert test` prints). */
export const deliverOnce = async (key: string, channel: AlertChannel, message: AlertMessage, timeoutMs: number): Promise<DeliveryResult> => {
  const started = performance.now();
  try {
    await sendWithTimeout(key, channel, message, timeoutMs);
    return { ok: true, ms: Math.round(performance.now() - started) };
  } catch (err) {
    return { ok: false, ms: Math.round(performance.now() - started), error: describeDeliveryError(err) };
  }
};
