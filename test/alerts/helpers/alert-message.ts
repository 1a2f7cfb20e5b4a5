/** Builds incidents and alert messages for channel tests. */
import type { Incident } from '../../../src/model/incident.js';
import type { AlertMessage } from '../../../src/alerts/alert.js';
import { renderAlert } from '../../../src/alerts/format.js';

/** Fields to change on the test incident; metadata fields merge into the default metadata. */
export type IncidentOverrides = Omit<Partial<Incident>, 'metadata'> & { metadata?: Partial<Incident['metadata']> };

export const incident = (over: IncidentOverrides = {}): Incident => ({
  key: 'cpu_usage|high_cpu',
  name: 'high_cpu',
  severity: 'critical',
  description: 'CPU 97.3% > 80%',
  actions: ['alert_critical', 'freeze_top_process'],
  ts: Date.UTC(2026, 10, 21, 14, 3, 7),
  status: 'firing',
  count: 1,
  ...over,
  metadata: { monitorType: 'cpu_usage', threshold: 80, currentValue: 97.3, details: 'top: java (pid 4242, 95%)', pids: [4242], ...over.metadata },
});

export const message = (
  over: IncidentOverrides = {},
  opts: { host?: string; actionsTaken?: string[]; id?: string } = {},
): AlertMessage => {
  const inc = incident(over);
  const host = opts.host ?? 'web-1';
  const actionsTaken = opts.actionsTaken ?? ['froze pid 4242'];
  const { title, text } = renderAlert(inc, { host, actionsTaken });
  return { id: opts.id ?? 'alert-1', severity: inc.severity, status: inc.status, host, title, text, actionsTaken, incident: inc, ts: inc.ts + 5 };
};
