/**
 * Test peers for the dispatcher: a per-path view over the shared HTTP receiver
 * (../helpers/http-receiver.ts) whose behaviour is set per path (ok, fail N times with
 * 500, hang, delay), and a tiny AlertChannel that POSTs the alert to it with fetch.
 */
import type { AlertChannel, AlertMessage } from '../../../src/alerts/alert.js';
import { AlertDeliveryError } from '../../../src/errors.js';
import type { Incident } from '../../../src/model/incident.js';
import { closedPort, startHttpReceiver, type Reply } from '../helpers/http-receiver.js';

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

/** A receiver answering per path; a request is listed in `received` once answered (a hang at once, with status 0). */
export const startReceiver = async (): Promise<Receiver> => {
  const behaviours = new Map<string, PathBehaviour>();
  const failures = new Map<string, number>();
  const received: Received[] = [];
  const peer = await startHttpReceiver(undefined, { keepAliveTimeoutMs: 1000 });
  peer.reply((req): Reply => {
    let body: { id?: string; status?: string } = {};
    try {
      body = JSON.parse(req.body);
    } catch {
      /* recorded with an empty id */
    }
    const record = (answered: number) => received.push({ path: req.path, id: body.id ?? '', status: body.status ?? '', at: req.at, answered });
    const answer = (status: number, delayMs?: number): Reply => ({ status, body: status < 300 ? 'ok' : 'boom', delayMs, onAnswer: () => record(status) });
    const b = behaviours.get(req.path) ?? { kind: 'ok' };
    if (b.kind === 'hang') {
      record(0);
      return { hang: true };
    }
    if (b.kind === 'fail') {
      const key = `${req.path}|${body.id}`;
      const n = failures.get(key) ?? 0;
      if (n < b.times) {
        failures.set(key, n + 1);
        return answer(b.status ?? 500);
      }
      return answer(200);
    }
    return answer(200, b.delayMs);
  });
  return {
    url: peer.url,
    received,
    set: (path, behaviour) => behaviours.set(path, behaviour),
    delivered: (path) => received.filter((r) => r.path === path && r.answered >= 200 && r.answered < 300).map((r) => r.id),
    close: () => peer.close(),
  };
};

/** A URL nothing listens on (bound, then released): connecting is refused. */
export const refusedUrl = async (): Promise<string> => `http://127.0.0.1:${await closedPort()}`;

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
