/**
 * The `auth_failures` monitors of a config, as incident streams: one shared follower
 * per distinct source (two rules on the same auth log read it once), each rule
 * counting failures per offender in its own window — per address, and per
 * `firewall.ipv6_prefix` network for IPv6, the unit the firewall bans.
 */
import { share, type Observable, type SchedulerLike } from 'rxjs';
import type { Config, MonitorConfig } from '../config/schema.js';
import type { Host } from '../host/host.js';
import type { Db } from '../storage/schema.js';
import type { Logger } from '../log/logger.js';
import type { Incident } from '../model/incident.js';
import type { AuthFailure } from './auth-failure.js';
import { authFailures$, createAuthCounters, type AuthCounters } from './auth-failures.js';
import { createLogCursorRepository } from './log-cursor-repository.js';
import { detectBruteForce } from './detect-brute-force.js';

export interface SshMonitors {
  /** one incident stream per enabled auth_failures monitor */
  incidents: { monitor: MonitorConfig; incidents$: Observable<Incident> }[];
  /** lines read / matched / forged / skipped, per source */
  counters: Map<string, AuthCounters>;
}

const sourceKey = (m: MonitorConfig): string =>
  JSON.stringify([m.auth_log?.source ?? 'auto', m.auth_log?.path ?? null, m.paths ?? [], m.auth_log?.verify_pid ?? false, m.mode]);

export const sshMonitors = (
  config: Config,
  deps: { host: Host; db: Db; logger: Logger; journalctl?: string; standardPaths?: readonly string[]; scheduler?: SchedulerLike },
): SshMonitors => {
  const sources = new Map<string, Observable<AuthFailure>>();
  const counters = new Map<string, AuthCounters>();
  const cursors = createLogCursorRepository(deps.db);
  const incidents = config.monitors
    .filter((m) => m.enabled && m.type === 'auth_failures')
    .map((m) => {
      const key = sourceKey(m);
      let failures$ = sources.get(key);
      if (!failures$) {
        const c = createAuthCounters();
        counters.set(key, c);
        failures$ = authFailures$({
          source: m.auth_log?.source,
          path: m.auth_log?.path,
          paths: m.paths,
          verify_pid: m.auth_log?.verify_pid,
          mode: m.mode,
          host: deps.host,
          scheduler: deps.scheduler,
          cursors,
          counters: c,
          logger: deps.logger,
          journalctl: deps.journalctl,
          standardPaths: deps.standardPaths,
          onFollowEvent: (e) => {
            if (e.type === 'opened') deps.logger.info(`following ${e.path} from ${e.resumed ? `byte ${e.offset} (resumed)` : 'its end'}`);
            else if (e.type !== 'overlong') deps.logger.info(`${e.path} ${e.type}`); // overlong: warned by authFailures$
          },
        }).pipe(share());
        sources.set(key, failures$);
      }
      return {
        monitor: m,
        incidents$: failures$.pipe(
          detectBruteForce(
            { name: m.name, threshold: m.threshold, window: m.window, actions: m.actions, severity: m.severity },
            { ipv6Prefix: config.firewall.ipv6_prefix, scheduler: deps.scheduler },
          ),
        ),
      };
    });
  return { incidents, counters };
};
