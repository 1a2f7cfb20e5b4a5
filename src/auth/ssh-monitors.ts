/**
 * The `auth_failures` monitors of a config, as incident streams: one shared follower
 * per distinct source (two rules on the same auth log read it once), each rule
 * counting failures per offender in its own window — per address, and per
 * `firewall.ipv6_prefix` network for IPv6, the unit the firewall bans.
 */
import type { SchedulerLike } from 'rxjs';
import type { Config, MonitorConfig } from '../config/schema.js';
import type { Host } from '../host/host.js';
import type { Db } from '../storage/schema.js';
import type { Logger } from '../log/logger.js';
import { authFailures$ } from './auth-failures.js';
import { createLogCursorRepository } from './log-cursor-repository.js';
import { failureMonitorStreams, failureRuleOf, type FailureMonitorStreams } from './failure-monitors.js';

export type SshMonitors = FailureMonitorStreams;

const sourceKey = (m: MonitorConfig): string =>
  JSON.stringify([m.auth_log?.source ?? 'auto', m.auth_log?.path ?? null, m.paths ?? [], m.auth_log?.verify_pid ?? false, m.mode]);

export const sshMonitors = (
  config: Config,
  deps: { host: Host; db: Db; logger: Logger; journalctl?: string; standardPaths?: readonly string[]; scheduler?: SchedulerLike },
): SshMonitors => {
  const cursors = createLogCursorRepository(deps.db);
  return failureMonitorStreams(
    config.monitors
      .filter((m) => m.enabled && m.type === 'auth_failures')
      .map((m) => ({
        monitor: m,
        sourceKey: sourceKey(m),
        source: (counters) =>
          authFailures$({
            source: m.auth_log?.source,
            path: m.auth_log?.path,
            paths: m.paths,
            verify_pid: m.auth_log?.verify_pid,
            mode: m.mode,
            host: deps.host,
            scheduler: deps.scheduler,
            cursors,
            counters,
            logger: deps.logger,
            journalctl: deps.journalctl,
            standardPaths: deps.standardPaths,
            onFollowEvent: (e) => {
              if (e.type === 'opened') deps.logger.info(`following ${e.path} from ${e.resumed ? `byte ${e.offset} (resumed)` : 'its end'}`);
              else if (e.type !== 'overlong') deps.logger.info(`${e.path} ${e.type}`); // overlong: warned by authFailures$
            },
          }),
        rule: failureRuleOf(m),
      })),
    { ipv6Prefix: config.firewall.ipv6_prefix, scheduler: deps.scheduler },
  );
};
