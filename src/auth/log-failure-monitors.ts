/**
 * The `log_failures` monitors of a config (fail2ban's jails: a filter over a service's
 * log), as incident streams — the same path as the SSH detection: the follower (or the
 * journal) → the filter's line matcher → per-address windowed counting
 * (detectBruteForce, IPv6 per `firewall.ipv6_prefix` network) → an incident whose `block_ip` action bans the address. Monitors
 * reading the same source with the same filter and mode share one follower.
 */
import type { SchedulerLike } from 'rxjs';
import type { Config, MonitorConfig } from '../config/schema.js';
import type { Db } from '../storage/schema.js';
import type { Logger } from '../log/logger.js';
import { authFailures$ } from './auth-failures.js';
import { createLogCursorRepository } from './log-cursor-repository.js';
import { failureMonitorStreams, failureRuleOf, type FailureMonitorStreams } from './failure-monitors.js';
import { monitorFilter } from './filters/monitor-filter.js';
import { filterPath } from './filters/load-filter.js';

export type LogFailureMonitors = FailureMonitorStreams;

const sourceKey = (m: MonitorConfig, filter: string, mode: string): string =>
  JSON.stringify([filterPath(filter), mode, m.paths ?? [], m.journal_match ?? []]);

/** Builds the streams (nothing is read until they are subscribed). Filters were checked at config load. */
export const logFailureMonitors = (config: Config, deps: { db: Db; logger: Logger; journalctl?: string; scheduler?: SchedulerLike }): LogFailureMonitors => {
  const cursors = createLogCursorRepository(deps.db);
  return failureMonitorStreams(
    config.monitors
      .filter((m) => m.enabled && m.type === 'log_failures')
      .map((m) => {
        const filter = monitorFilter(m);
        return {
          monitor: m,
          sourceKey: sourceKey(m, m.filter!, filter.mode),
          source: (counters) =>
            authFailures$({
              source: (m.journal_match ?? []).length > 0 ? 'journal' : 'file',
              paths: m.paths,
              journalMatches: m.journal_match,
              filter,
              scheduler: deps.scheduler,
              cursors,
              counters,
              logger: deps.logger,
              journalctl: deps.journalctl,
              onFollowEvent: (e) => {
                if (e.type === 'opened') deps.logger.info(`${m.name}: following ${e.path} from ${e.resumed ? `byte ${e.offset} (resumed)` : 'its end'}`);
                else deps.logger.info(`${m.name}: ${e.path} ${e.type}`);
              },
            }),
          rule: failureRuleOf(m, filter.definition.name),
        };
      }),
    { ipv6Prefix: config.firewall.ipv6_prefix, scheduler: deps.scheduler },
  );
};
