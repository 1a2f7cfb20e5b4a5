/**
 * `authFailures$`: the SSH failures of this host as one event-driven stream, from the
 * auth log file(s) or the systemd journal (see docs/auth-sources.md for what each can
 * and cannot guarantee).
 *
 * Source selection (`source`, from the monitor's `auth_log`):
 * - `file`: `path`, the monitor's `paths`, else /var/log/auth.log (Debian/Ubuntu) or
 *   /var/log/secure (RHEL) — followed even while missing (they may appear);
 * - `journal`: journalctl, trusted fields;
 * - `auto` (default): the configured paths, else the standard files that exist, else
 *   the journal (Debian 12 and most modern servers log sshd only to journald).
 *
 * Every line read is counted (`lines`); failures emitted (`matched`), lines whose
 * sender is not sshd (`forged`: journal entries from another _COMM, or with
 * `verify_pid` a file line whose pid is no live sshd), the rest (`skipped`:
 * other programs, successful logins, malformed lines) and lines over the length cap
 * (`overlong`: skipped unread, each also logged) are counted apart.
 *
 * A failure read from a file carries `hold` (its line's, see line-ledger.ts), so the
 * detector can keep the cursor from passing it; with `verify_pid` the line is held
 * here while its pid is checked.
 */
import { asyncScheduler, concatMap, EMPTY, finalize, from, map, merge, mergeMap, Observable, of, defer, type SchedulerLike } from 'rxjs';
import { existsSync } from 'node:fs';
import type { AuthFailure } from './auth-failure.js';
import { AuthLineMatcher } from './parse-auth-line.js';
import type { CompiledFilter } from './filters/compile-filter.js';
import { followLog, type FollowEvent } from './log-follower.js';
import { journalFailures$ } from './journal-source.js';
import { PidVerifier } from './pid-verifier.js';
import type { LogCursorStore } from './log-cursor-repository.js';
import type { Host } from '../host/host.js';
import { createLogger, type Logger } from '../log/logger.js';

/** The standard auth log files, in order of preference. */
export const standardAuthLogs: readonly string[] = ['/var/log/auth.log', '/var/log/secure'];

export interface AuthCounters {
  /** lines (or journal entries) read */
  lines: number;
  /** failures emitted */
  matched: number;
  /** dropped because the sender is not sshd */
  forged: number;
  /** not failures, or malformed */
  skipped: number;
  /** longer than the follower's line cap: skipped unread (not in `lines`) */
  overlong: number;
}

export const createAuthCounters = (): AuthCounters => ({ lines: 0, matched: 0, forged: 0, skipped: 0, overlong: 0 });

export interface AuthFailuresOptions {
  /** the pipeline's clock: the year of syslog stamps, cursor saves (default asyncScheduler) */
  scheduler?: SchedulerLike;
  /** `auth_log.source` */
  source?: 'auto' | 'file' | 'journal';
  /** `auth_log.path` */
  path?: string;
  /** the monitor's `paths` */
  paths?: string[];
  /** the sshd filter's mode (the monitor's `mode`; default normal) */
  mode?: string;
  /** `auth_log.verify_pid`: file lines count only when their pid is a live sshd (needs `host`) */
  verify_pid?: boolean;
  /** the Host port (proc root for verify_pid) */
  host?: Host;
  /** cursor persistence for file sources (createLogCursorRepository(db)) */
  cursors?: LogCursorStore;
  /** journalctl binary (tests: a fake script) */
  journalctl?: string;
  /** the standard files looked for (default standardAuthLogs; tests point elsewhere) */
  standardPaths?: readonly string[];
  /** follower's slow poll (default 1000 ms) */
  pollIntervalMs?: number;
  /** follower's line length cap (default 64 KiB) */
  maxLineBytes?: number;
  /** counters to update (default: a fresh object, unreadable from outside) */
  counters?: AuthCounters;
  logger?: Logger;
  /** follower lifecycle events (rotation, truncation...) */
  onFollowEvent?: (e: FollowEvent) => void;
  /** the filter (default sshd): log_failures monitors pass theirs (log-failure-monitors.ts) */
  filter?: CompiledFilter;
  /** journal matches (default sshd's _COMM ones) */
  journalMatches?: string[];
}

export type AuthSourceChoice = { kind: 'file'; paths: string[] } | { kind: 'journal' };

/** Which source `authFailures$` will read, given the options and what exists. */
export const chooseAuthSource = (o: AuthFailuresOptions, exists: (p: string) => boolean = existsSync): AuthSourceChoice => {
  const source = o.source ?? 'auto';
  if (source === 'journal') return { kind: 'journal' };
  const configured = [...new Set([...(o.path ? [o.path] : []), ...(o.paths ?? [])])];
  if (configured.length > 0) return { kind: 'file', paths: configured };
  const standard = o.standardPaths ?? standardAuthLogs;
  const present = standard.filter(exists);
  if (present.length > 0) return { kind: 'file', paths: present };
  if (source === 'file') return { kind: 'file', paths: [standard[0]!] };
  return { kind: 'journal' };
};

/**
 * The SSH failures, as they happen. Never completes by itself; errors only when the
 * journal reader dies (wrap in supervise). Unsubscribing releases files, watchers and
 * the journalctl child.
 */
export const authFailures$ = (options: AuthFailuresOptions = {}): Observable<AuthFailure> =>
  defer(() => {
    const counters = options.counters ?? createAuthCounters();
    const log = options.logger ?? createLogger('auth');
    // the mode told apart: the SSH pack reads the log twice, in normal and ddos mode
    const what = `${options.filter ? `${options.filter.definition.name} failures` : 'SSH failures'}${options.mode && options.mode !== 'normal' ? ` (${options.mode} mode)` : ''}`;
    const choice = chooseAuthSource(options);
    if (choice.kind === 'journal') {
      log.info(`reading ${what} from the systemd journal`);
      return journalFailures$({
        mode: options.mode,
        journalctl: options.journalctl,
        logger: log,
        onLine: () => counters.lines++,
        onForged: () => counters.forged++,
        onMalformed: () => counters.skipped++,
        onSkipped: () => counters.skipped++,
        filter: options.filter,
        matches: options.journalMatches,
      }).pipe(
        map((f) => {
          counters.matched++;
          return f;
        }),
      );
    }
    log.info(`reading ${what} from log files`, { paths: choice.paths.join(',') });
    if (options.verify_pid && !options.host) throw new Error('verify_pid needs the Host port');
    const verifier = options.verify_pid ? new PidVerifier(options.host!) : null;
    return merge(
      ...choice.paths.map((path) => {
        const now = () => (options.scheduler ?? asyncScheduler).now();
        const matcher = new AuthLineMatcher(options.filter ? { filter: options.filter, now } : { mode: options.mode, now });
        const failures$ = followLog(path, {
          now,
          cursors: options.cursors,
          pollIntervalMs: options.pollIntervalMs,
          maxLineBytes: options.maxLineBytes,
          logger: log,
          onEvent: (e) => {
            if (e.type === 'overlong') {
              counters.overlong++;
              log.warn(`${path}: skipped a line of ${e.bytes} bytes (longer than the line cap), ending at byte ${e.end}`, { overlong: counters.overlong });
            }
            options.onFollowEvent?.(e);
          },
        }).pipe(
          mergeMap((line) => {
            counters.lines++;
            const f = matcher.matchLine(line.text, 0, line.text.length);
            if (f === null) {
              counters.skipped++;
              return EMPTY;
            }
            f.hold = line.hold;
            // a line standing for several failures (`message repeated N times`, held ones) counts each
            return f.count === undefined ? of(f) : from(new Array<AuthFailure>(f.count).fill(f));
          }),
        );
        if (!verifier)
          return failures$.pipe(
            map((f) => {
              counters.matched++;
              return f;
            }),
          );
        // in order, so a burst's threshold-crossing line is not overtaken
        return failures$.pipe(
          map((f) => ({ f, release: f.hold!() })),
          concatMap(({ f, release }) =>
            from(verifier.isSshd(f.pid)).pipe(
              mergeMap((ok) => {
                if (!ok) {
                  counters.forged++;
                  return EMPTY;
                }
                counters.matched++;
                return of(f);
              }),
              finalize(release),
            ),
          ),
        );
      }),
    );
  });
