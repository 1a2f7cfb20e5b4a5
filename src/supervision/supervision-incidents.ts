/**
 * The incidents supervision raises about a service's life (its limits raise their own:
 * service-limits.ts). Keys are per service and kind, so dedup holds one of each.
 */
import type { Incident, Severity } from '../model/incident.js';
import { formatDuration } from '../config/duration.js';

const incident = (service: string, kind: string, severity: Severity, status: 'firing' | 'resolved', description: string, ts: number, value: number, pid?: number): Incident => ({
  key: `process|${service}|${kind}`,
  name: `${service} ${kind.replace('_', ' ')}`,
  severity,
  description,
  actions: status === 'firing' ? [severity === 'critical' ? 'alert_critical' : 'alert_warning'] : [],
  metadata: { monitorType: `process:${kind}`, threshold: 0, currentValue: value, details: `supervised service ${service}`, ...(pid ? { pids: [pid] } : {}) },
  ts,
  status,
  count: 1,
});

/** The service's process is gone (found dead at a check). */
export const serviceDown = (service: string, pid: number | null, ts: number, next: string): Incident =>
  incident(service, 'down', 'warning', 'firing', `${service}${pid === null ? '' : ` (pid ${pid})`} is not running; ${next}`, ts, 0, pid ?? undefined);

/** Running again, as `pid`. */
export const serviceUp = (service: string, pid: number, ts: number): Incident =>
  incident(service, 'down', 'warning', 'resolved', `${service} is running again (pid ${pid})`, ts, 1, pid);

/** Starting it failed (the command could not run, systemctl failed). */
export const startFailed = (service: string, error: string, ts: number): Incident =>
  incident(service, 'start_failed', 'critical', 'firing', `${service} could not be started: ${error}`, ts, 0);

/** More restarts than its budget: in cooldown, alerted once. */
export const crashLooping = (service: string, restarts: number, windowMs: number, cooldownMs: number, ts: number): Incident =>
  incident(
    service,
    'crash_loop',
    'critical',
    'firing',
    `${service} needed ${restarts} restarts within ${formatDuration(windowMs)}: not restarted for ${formatDuration(cooldownMs)}, then tried again`,
    ts,
    restarts,
  );

/** Stable again after a crash loop. */
export const crashLoopOver = (service: string, stableMs: number, ts: number): Incident =>
  incident(service, 'crash_loop', 'critical', 'resolved', `${service} has run for ${formatDuration(stableMs)}: its restart count is cleared`, ts, 0);
