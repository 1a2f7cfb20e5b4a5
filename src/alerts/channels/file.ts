/**
 * File: one JSON object per line appended to a file, for log shippers (Vector, Fluent
 * Bit, Promtail). Each line is written with one `O_APPEND` write, so concurrent agents
 * or a rotating shipper never see half a line; no fsync (the outbox is the durable copy).
 */
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { AlertDeliveryError } from '../../errors.js';
import type { AlertChannel, AlertMessage } from '../alert.js';
import { webhookPayload } from './webhook.js';

export interface FileOptions {
  path: string;
}

/** One JSON line for an alert: the webhook's document, flat enough for `jq`. */
export const fileLine = (m: AlertMessage): string => `${JSON.stringify(webhookPayload(m))}\n`;

export const createFileChannel = (o: FileOptions): AlertChannel => {
  let dirReady = false;
  return {
    name: 'file',
    async send(message: AlertMessage): Promise<void> {
      try {
        if (!dirReady) {
          await mkdir(dirname(o.path), { recursive: true });
          dirReady = true;
        }
        await appendFile(o.path, fileLine(message), { flag: 'a' });
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        const why = e.code && !e.message.includes(e.code) ? `${e.code}: ${e.message}` : e.message;
        throw new AlertDeliveryError('file', `cannot append to ${o.path}: ${why}`, { cause: err });
      }
    },
  };
};
