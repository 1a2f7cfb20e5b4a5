/**
 * The severity a monitor raises: its explicit `severity`, else the strongest alert
 * action it names, else warning. One rule for threshold monitors and SSH monitors alike.
 */
import type { Severity } from '../model/incident.js';

export const monitorSeverity = (m: { severity?: Severity; actions: readonly string[] }): Severity => {
  if (m.severity) return m.severity;
  if (m.actions.includes('alert_critical')) return 'critical';
  if (m.actions.includes('alert_warning')) return 'warning';
  if (m.actions.includes('alert_info')) return 'info';
  return 'warning';
};
