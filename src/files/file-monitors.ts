/**
 * The `file_monitor` monitors of a config, as incident streams: each watches its own
 * `paths` (watch-files.ts) and counts the changes per `file_monitor.aggregation_window`,
 * capped by `file_monitor.max_events_per_path` (file-change-incidents.ts).
 */
import { asyncScheduler, type Observable, type SchedulerLike } from 'rxjs';
import type { Config, MonitorConfig } from '../config/schema.js';
import type { Logger } from '../log/logger.js';
import type { Incident } from '../model/incident.js';
import { watchFiles$ } from './watch-files.js';
import { fileChangeIncidents } from './file-change-incidents.js';

export interface FileMonitors {
  /** one incident stream per enabled file_monitor monitor (nothing is watched until subscribed) */
  incidents: { monitor: MonitorConfig; incidents$: Observable<Incident> }[];
}

export const fileMonitors = (config: Config, deps: { logger: Logger; scheduler?: SchedulerLike }): FileMonitors => ({
  incidents: config.monitors
    .filter((m) => m.enabled && m.type === 'file_monitor')
    .map((m) => ({
      monitor: m,
      incidents$: watchFiles$({
        paths: m.paths ?? [],
        recursive: m.recursive ?? false,
        onSkipped: (path, reason) => deps.logger.warn(`monitor "${m.name}": ${path} is not watched: ${reason}`),
      }).pipe(
        fileChangeIncidents(
          {
            name: m.name,
            threshold: m.threshold,
            actions: m.actions,
            severity: m.severity,
            windowMs: config.file_monitor.aggregation_window,
            maxEventsPerPath: config.file_monitor.max_events_per_path,
          },
          deps.scheduler ?? asyncScheduler,
        ),
      ),
    })),
});
