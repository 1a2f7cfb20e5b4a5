/**
 * Test peers for the dispatcher: a real HTTP receiver on 127.0.0.1 whose behaviour is
 * set per path (ok, fail N times with 500, hang, delay), and a tiny AlertChannel that
 * POSTs the alert to it with fetch.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AlertChannel, AlertMessage } from '../../../src/alerts/alert.js';
import { AlertDeliveryError } from '../../../src/errors.js';
import type { Incident } from '../../../src/model/incident.js';

export interface Received {
  path: string;
  id: string;
  status: string;
  /** performance.now() when the request arrived */
  at: number;
  /** HTTP status answered */
  answered: number;
}

export type PathBehaviour =
  | { kind: 'ok'; delayMs?: number }
  | { kind: 'fail'; times: number; status?: number }
  | { kind: 'hang' };

export interface Receiver {
  url: string;
  received: Received[];
  set(path: string, behaviour: PathBehaviour): void;
  /** ids received with a 2xx on `path` */
  delivered(path: string): string[];
  close(): Promise<void>;
}

export const startReceiver = async (): Promise<Receiver> => {
  const behaviours = new Map<string, PathBehaviour>();
  const failures = new Map<string, number>();
  const received: Received[] = [];
  const hung = new Set<ServerResponse>();
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = performance.now();
      const path = req.url ?? '/';
      let body: { id?: string; status?: string } = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        /* recorded with an empty id */
      }
      const b = behaviours.get(path) ?? { kind: 'ok' };
      const answer = (status: number) => {
        received.push({ path, id: body.id ?? '', status: body.status ?? '', at, answered: status });
        res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'boom');
      };
      if (b.kind === 'hang') {
        hung.add(res);
        received.push({ path, id: body.id ?? '', status: body.status ?? '', at, answered: 0 });
        return;
      }
      if (b.kind === 'fail') {
        const key = `${path}|${body.id}`;
        const n = failures.get(key) ?? 0;
        if (n < b.times) {
          failures.set(key, n + 1);
          return answer(b.status ?? 500);
        }
        return answer(200);
      }
      if (b.delayMs) setTimeout(() => answer(200), b.delayMs);
      else answer(200);
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    set: (path, behaviour) => behaviours.set(path, behaviour),
    delivered: (path) => received.filter((r) => r.path === path && r.answered >= 200 && r.answered < 300).map((r) => r.id),
    close: async () => {
      for (const res of hung) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
};

/** A port nothing listens on (bound, then released): connecting is refused. */
export const refusedUrl = async (): Promise<string> => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
};

/** An AlertChannel that POSTs `{id, status, severity, title}` to `url`; non-2xx rejects. */
export const httpChannel = (name: string, url: string): AlertChannel => ({
  name,
  send: async (message: AlertMessage, signal?: AbortSignal) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: message.id, status: message.status, severity: message.severity, title: message.title }),
      signal,
    });
    await res.arrayBuffer();
    if (!res.ok) throw new AlertDeliveryError(name, `HTTP ${res.status}`);
  },
});

const incidentFor = (id: string, severity: AlertMessage['severity'], status: AlertMessage['status']): Incident => ({
  key: `test|${id}`,
  name: 'high_cpu',
  severity,
  description: 'CPU usage above threshold',
  actions: [`alert_${severity}`],
  metadata: { monitorType: 'cpu_usage', threshold: 80, currentValue: 97.3, details: 'CPU 97.3% > 80%' },
  ts: 1_700_000_000_000,
  status,
  count: 1,
});

/** An alert message as the dispatcher receives it. */
export const alertMessage = (id: string, severity: AlertMessage['severity'] = 'critical', status: AlertMessage['status'] = 'firing'): AlertMessage => ({
  id,
  severity,
  status,
  host: 'web-1',
  title: `${severity.toUpperCase()} high_cpu on web-1: CPU 97.3% > 80%`,
  text: 'CPU 97.3% > 80% for 1m\nDone: froze pid 4242\nNext: check the top process',
  actionsTaken: ['froze pid 4242'],
  incident: incidentFor(id, severity, status),
  ts: 1_700_000_000_000,
});
