/**
 * A local HTTP peer for channel tests: listens on 127.0.0.1 on a free port, records
 * every request (method, path, headers, raw body) and answers as programmed — a status
 * and body, a delay, or never (a hang, until the client gives up or the receiver closes).
 */
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface RecordedRequest {
  method: string;
  /** path with query, as sent */
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** performance.now() when the whole request had arrived */
  at: number;
}

export interface Reply {
  status?: number;
  body?: string | object;
  headers?: Record<string, string>;
  /** answer after this many ms */
  delayMs?: number;
  /** never answer */
  hang?: boolean;
  /** called as the answer is written (after delayMs; never for a hang) */
  onAnswer?: () => void;
}

export interface HttpReceiver {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly port: number;
  readonly requests: RecordedRequest[];
  /** every following request gets this reply (default 200 "ok") */
  reply(r: Reply | ((req: RecordedRequest) => Reply)): void;
  /** the next request gets this reply, then back to the default */
  replyOnce(r: Reply): void;
  /** resolves when `n` requests have been recorded */
  waitFor(n: number, timeoutMs?: number): Promise<RecordedRequest[]>;
  close(): Promise<void>;
}

export interface HttpReceiverOptions {
  /** the server's keepAliveTimeout (Node's default when absent) */
  keepAliveTimeoutMs?: number;
}

export const startHttpReceiver = async (initial: Reply = { status: 200, body: 'ok' }, options: HttpReceiverOptions = {}): Promise<HttpReceiver> => {
  const requests: RecordedRequest[] = [];
  let standing: Reply | ((req: RecordedRequest) => Reply) = initial;
  const once: Reply[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();

  const answer = (res: ServerResponse, r: Reply): void => {
    if (r.hang) return;
    const send = () => {
      const body = r.body === undefined ? '' : typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
      const type = typeof r.body === 'object' ? 'application/json' : 'text/plain';
      r.onAnswer?.();
      res.writeHead(r.status ?? 200, { 'content-type': type, ...r.headers });
      res.end(body);
    };
    if (r.delayMs) {
      const t = setTimeout(() => {
        timers.delete(t);
        send();
      }, r.delayMs);
      timers.add(t);
    } else send();
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rec: RecordedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: performance.now(),
      };
      requests.push(rec);
      for (const w of [...waiters]) if (requests.length >= w.n) w.resolve();
      const r = once.shift() ?? (typeof standing === 'function' ? standing(rec) : standing);
      answer(res, r);
    });
  });
  if (options.keepAliveTimeoutMs !== undefined) server.keepAliveTimeout = options.keepAliveTimeoutMs;
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    reply: (r) => {
      standing = r;
    },
    replyOnce: (r) => {
      once.push(r);
    },
    waitFor: (n, timeoutMs = 5000) =>
      requests.length >= n
        ? Promise.resolve(requests.slice())
        : new Promise((resolve, reject) => {
            const t = setTimeout(() => reject(new Error(`waited ${timeoutMs}ms for ${n} requests, got ${requests.length}`)), timeoutMs);
            waiters.push({
              n,
              resolve: () => {
                clearTimeout(t);
                resolve(requests.slice());
              },
            });
          }),
    close: async () => {
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
};

/** A port on 127.0.0.1 nothing listens on (bound, then released), for ECONNREFUSED tests. */
export const closedPort = async (): Promise<number> => {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
};
