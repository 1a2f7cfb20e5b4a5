/**
 * SSH failures from the systemd journal: `journalctl --follow --output=json --lines=0`
 * for sshd's processes, spawned without a shell, one JSON object per line.
 *
 * What it guarantees: the fields journald adds itself — `_COMM`, `_SYSTEMD_UNIT`,
 * `_PID`, `_SOURCE_REALTIME_TIMESTAMP` — come from the kernel's view of the sending
 * process (SCM_CREDENTIALS + /proc), not from the message, so a local user running
 * `logger -t sshd "Failed password ... from X"` produces an entry with `_COMM=logger`,
 * which is dropped. What it cannot guarantee: that an sshd process's message text is
 * truthful (the client chooses user names; patterns anchor on the address sshd writes
 * last), nor delivery when journald rate-limits (RateLimitBurst) under a flood.
 */
import { Observable } from 'rxjs';
import { spawn } from 'node:child_process';
import type { AuthFailure } from './auth-failure.js';
import { AuthLineMatcher, sshdPrograms } from './parse-auth-line.js';
import type { CompiledFilter } from './filters/compile-filter.js';
import { createLogger, type Logger } from '../log/logger.js';

export interface JournalOptions {
  /** the journalctl binary (tests point it at a fake script); default `journalctl` */
  journalctl?: string;
  /**
   * journal matches; default `_COMM=sshd _COMM=sshd-session _COMM=sshd-auth` (same field:
   * OR-ed by journalctl). Matching on the trusted _COMM field covers the unit being named
   * ssh.service (Debian), sshd.service (RHEL) or ssh@.service (socket activation).
   */
  matches?: string[];
  logger?: Logger;
  /** the sshd filter's mode (default normal) */
  mode?: string;
  /** called per entry that is not sshd's (trusted fields) */
  onForged?: (entry: Record<string, unknown>) => void;
  /** called per JSON line that cannot be parsed or has no message */
  onMalformed?: (line: string) => void;
  /** called per sshd message that is not a failure */
  onSkipped?: () => void;
  /** called per line read */
  onLine?: () => void;
  /**
   * the filter (default sshd). With another filter, the entries `matches` selects (by
   * journald's trusted fields, e.g. `_SYSTEMD_UNIT=nginx.service`) are the service's.
   */
  filter?: CompiledFilter;
}

export const defaultJournalMatches = sshdPrograms.map((p) => `_COMM=${p}`);

/** The journalctl arguments for following sshd from now on. */
export const journalArgs = (matches: readonly string[] = defaultJournalMatches): string[] => [
  '--follow',
  '--output=json',
  '--lines=0',
  '--no-pager',
  ...matches,
];

/** MESSAGE is a string, or an array of bytes when it is not valid UTF-8. */
const messageText = (m: unknown): string | null => {
  if (typeof m === 'string') return m;
  if (Array.isArray(m) && m.every((b) => typeof b === 'number')) return Buffer.from(m as number[]).toString('utf8');
  return null;
};

/** One journal entry (already JSON-parsed) to an AuthFailure, or null. Pure. */
export const parseJournalEntry = (
  entry: Record<string, unknown>,
  matcher: AuthLineMatcher = new AuthLineMatcher(),
): { failure: AuthFailure | null; trusted: boolean; hasMessage: boolean } => {
  const comm = entry._COMM;
  const sshd = matcher.filter.definition.name === 'sshd';
  // sshd's entries are told by _COMM; another filter's by the journal matches themselves
  const trusted = typeof comm === 'string' && (!sshd || sshdPrograms.includes(comm));
  const text = messageText(entry.MESSAGE);
  if (!trusted || text === null) return { failure: null, trusted, hasMessage: text !== null };
  const pid = Number(entry._PID);
  // a plain-format service (nginx) writes its own timestamp into the message
  const failure = matcher.filter.plain
    ? matcher.matchLine(text, 0, text.length)
    : matcher.matchMessage(text, comm as string, Number.isInteger(pid) ? pid : undefined);
  if (failure) {
    // the trusted send time, else when journald received it (both µs)
    const us = Number(entry._SOURCE_REALTIME_TIMESTAMP ?? entry.__REALTIME_TIMESTAMP);
    if (Number.isFinite(us)) failure.ts = Math.floor(us / 1000);
  }
  return { failure, trusted, hasMessage: true };
};

/**
 * Follows the journal; emits each sshd failure. Errors when journalctl cannot be
 * started or exits (the caller's supervision restarts it). Unsubscribing kills it.
 */
export const journalFailures$ = (options: JournalOptions = {}): Observable<AuthFailure> =>
  new Observable<AuthFailure>((subscriber) => {
    const log = options.logger ?? createLogger('auth.journal');
    const bin = options.journalctl ?? 'journalctl';
    const matcher = new AuthLineMatcher(options.filter ? { filter: options.filter } : { mode: options.mode });
    const child = spawn(bin, journalArgs(options.matches), { stdio: ['ignore', 'pipe', 'pipe'] });
    let pending = '';
    let stderr = '';
    let closedByUs = false;

    const onLine = (line: string) => {
      if (line.length === 0) return;
      options.onLine?.();
      let entry: unknown;
      try {
        entry = JSON.parse(line);
      } catch {
        options.onMalformed?.(line);
        return;
      }
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
        options.onMalformed?.(line);
        return;
      }
      const r = parseJournalEntry(entry as Record<string, unknown>, matcher);
      if (!r.trusted) options.onForged?.(entry as Record<string, unknown>);
      else if (!r.hasMessage) options.onMalformed?.(line);
      else if (r.failure) for (let i = r.failure.count ?? 1; i > 0; i--) subscriber.next(r.failure);
      else options.onSkipped?.();
    };

    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      pending += chunk;
      let nl: number;
      while ((nl = pending.indexOf('\n')) !== -1) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        onLine(line);
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => {
      if (stderr.length < 4096) stderr += d;
    });
    child.on('error', (err) => subscriber.error(new Error(`cannot run ${bin}: ${err.message}`, { cause: err })));
    child.on('close', (code, signal) => {
      if (closedByUs) return;
      const why = `${bin} exited (${signal ?? `code ${code}`})${stderr ? `: ${stderr.trim()}` : ''}`;
      log.warn(why);
      subscriber.error(new Error(why));
    });
    return () => {
      closedByUs = true;
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    };
  });
