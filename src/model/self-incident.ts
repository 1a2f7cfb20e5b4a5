/**
 * An incident about PanicMode itself (storage failing, a stream that died, a detector
 * that stopped): critical, alerted through the same handler as any other, keyed by its
 * `self_check:*` monitor type so dedup holds one per kind.
 */
import type { Incident } from './incident.js';

export const selfIncident = (name: string, description: string, monitorType: string, ts: number): Incident => ({
  key: `self|${monitorType}`,
  name,
  severity: 'critical',
  description,
  actions: ['alert_critical'],
  metadata: { monitorType, threshold: 0, currentValue: 1, details: description },
  ts,
  status: 'firing',
  count: 1,
});
