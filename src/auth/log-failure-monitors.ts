/**
 * The `log_failures` monitors of a config (fail2ban's jails: a filter over a service's
 * log), as incident streams — the same path as the SSH detection: the follower (or the
 * journal) → the filter's line matcher → per-address windowed counting
 * (detectBruteForce) → an incident whose `block_ip` action bans the address. Monitors
 * reading the same source with the same filter and mode share one follower.
 */
import { share, type Observable, type SchedulerLike } from 'rxjs';
import type { Config, MonitorConfig } from '../config/schema.js';
import type { Db } from '../storage/schema.js';
import type { Logger } from '../log/logger.js';
import type { Incident } from '../model/incident.js';
import type { AuthFailure } from './auth-failure.js';
import { authFailures$, createAuthCounters, type AuthCounters } from './auth-failures.js';
import { createLogCursorRepository } from './log-cursor-repository.js';
import { detectBruteForce } from './detect-brute-force.js';
import { monitorFilter } from './filters/monitor-filter.js';
import { filterPath } from './filters/load-filter.js';

export interface LogFailureMonitors {
  /** one incident stream per enabled log_failures monitor */
  incidents: { monitor: MonitorConfig; incidents$: Observable<Incident> }[];
  /** lines read / matched / skipped, per source */
  counters: Map<string, AuthCounters>;
}

const sourceKey = (m: MonitorConfig, filter: string, mode: string): string =>
  JSON.stringify([filterPath(filter), mode, m.paths ?? [], m.journal_match ?? []]);

/** Builds the streams (nothing is read until they are subscribed). Filters were checked at config load. */
export const logFailureMonitors = (config: Config, deps: { db: Db; logger: Logger; journalctl?: string; scheduler?: SchedulerLike }): LogFailureMonitors => {
  const sources = new Map<string, Observable<AuthFailure>>();
  const counters = new Map<string, AuthCounters>();
  const cursors = createLogCursorRepository(deps.db);
  const incidents = config.monitors
    .filter((m) => m.enabled && m.type === 'log_failures')
    .map((m) => {
      const filter = monitorFilter(m);
      const key = sourceKey(m, m.filter!, filter.mode);
      let failures$ = sources.get(key);
      if (!failures$) {
        const c = createAuthCounters();
        counters.set(key, c);
        const journal = (m.journal_match ?? []).length > 0;
        failures$ = authFailures$({
          source: journal ? 'journal' : 'file',
          paths: m.paths,
          journalMatches: m.journal_match,
          filter,
          scheduler: deps.scheduler,
          cursors,
          counters: c,
          logger: deps.logger,
          journalctl: deps.journalctl,
          onFollowEvent: (e) => {
            if (e.type === 'opened') deps.logger.info(`${m.name}: following ${e.path} from ${e.resumed ? `byte ${e.offset} (resumed)` : 'its end'}`);
            else deps.logger.info(`${m.name}: ${e.path} ${e.type}`);
          },
        }).pipe(share());
        sources.set(key, failures$);
      }
      return {
        monitor: m,
        incidents$: failures$.pipe(
          detectBruteForce({
            name: m.name,
            threshold: m.threshold,
            window: m.window,
            actions: m.actions,
            severity: m.severity,
            monitorType: 'log_failures',
            counted: `${filter.definition.name} failures`,
          }, { scheduler: deps.scheduler }),
        ),
      };
    });
  return { incidents, counters };
};
