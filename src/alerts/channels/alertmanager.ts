/**
 * Alertmanager: POST `{url}/api/v2/alerts` with one alert, so a fleet of hosts can share
 * one Alertmanager for grouping, silences and inhibition.
 *
 * Alertmanager identifies an alert by its label set, so the labels are the same for the
 * firing and the resolved message of one incident (alertname, severity, instance,
 * monitor_type, incident_key, then the integration's and the route's labels); the
 * resolved one only adds `endsAt`. A firing alert carries no `endsAt`: Alertmanager
 * resolves it after its `resolve_timeout` unless a reminder refreshes it.
 */
import { asyncScheduler } from 'rxjs';
import type { AlertChannel, AlertMessage } from '../alert.js';
import { expect2xx, postOnce } from './http-post.js';
import { createKeepAlivePool } from './keep-alive-pool.js';

export interface AlertmanagerOptions {
  /** base URL, e.g. http://alertmanager:9093 */
  url: string;
  /** extra labels (route's over integration's) */
  labels?: Record<string, string>;
  /** one attempt, ms */
  timeout: number;
  /** clock for endsAt, unix ms */
  now?: () => number;
}

export interface PostableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt?: string;
}

/** The label set that identifies this incident in Alertmanager. */
export const alertLabels = (m: AlertMessage, extra: Record<string, string> = {}): Record<string, string> => ({
  alertname: m.incident.name,
  severity: m.incident.severity,
  instance: m.host,
  monitor_type: m.incident.metadata.monitorType,
  incident_key: m.incident.key,
  ...extra,
});

/** The `/api/v2/alerts` body for one message. */
export const postableAlerts = (m: AlertMessage, extra: Record<string, string> | undefined, now: number): PostableAlert[] => {
  const startsAt = new Date(m.incident.ts).toISOString();
  return [
    {
      labels: alertLabels(m, extra),
      annotations: { summary: m.title, description: m.text },
      startsAt,
      // endsAt must not be before startsAt, or Alertmanager rejects the alert.
      ...(m.status === 'resolved' ? { endsAt: new Date(Math.max(now, m.incident.ts)).toISOString() } : {}),
    },
  ];
};

export const createAlertmanagerChannel = (o: AlertmanagerOptions): AlertChannel => {
  const url = `${o.url.replace(/\/+$/, '')}/api/v2/alerts`;
  const now = o.now ?? (() => asyncScheduler.now());
  const pool = createKeepAlivePool();
  return {
    name: 'alertmanager',
    async send(message: AlertMessage, signal?: AbortSignal): Promise<void> {
      const reply = await postOnce({
        channel: 'alertmanager',
        url,
        body: JSON.stringify(postableAlerts(message, o.labels, now())),
        headers: { 'content-type': 'application/json' },
        timeoutMs: o.timeout,
        signal,
        pool,
      });
      expect2xx('alertmanager', reply);
    },
    close: async () => pool.close(),
  };
};
