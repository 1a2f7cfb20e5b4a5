/**
 * Which monitors a test's log line reaches, as in the agent each monitor reads only
 * its own log: a line says the log it is written to (`log: /var/log/nginx/error.log`,
 * or `journal`) and goes to the auth_failures and log_failures monitors that read that
 * log; a line that names none is an SSH line and goes to every auth_failures monitor.
 *
 * What a monitor reads is decided as the agent decides it, without looking at the disk
 * (a test has no host): auth_failures — `auth_log.path` and `paths`, else the standard
 * auth logs (and the journal, for `source: auto`), or the journal for `source: journal`;
 * log_failures — the journal when it has `journal_match`, else its `paths`.
 */
import type { MonitorConfig } from '../config/schema.js';
import { standardAuthLogs } from '../auth/auth-failures.js';

/** A log line as a test gives it. */
export interface LogLine {
  /** the log it is written to: a monitor's path, or `journal`; absent: the SSH auth log */
  log?: string;
  line: string;
}

export const JOURNAL = 'journal';

/** Monitors that read log lines. */
export const isLogMonitor = (m: MonitorConfig): boolean => m.enabled && (m.type === 'auth_failures' || m.type === 'log_failures');

/** The logs a monitor reads, as a test names them: file paths, or `journal`. */
export const logsRead = (m: MonitorConfig): string[] => {
  if (m.type === 'log_failures') return (m.journal_match ?? []).length > 0 ? [JOURNAL] : [...(m.paths ?? [])];
  const source = m.auth_log?.source ?? 'auto';
  if (source === 'journal') return [JOURNAL];
  const configured = [...new Set([...(m.auth_log?.path ? [m.auth_log.path] : []), ...(m.paths ?? [])])];
  if (configured.length > 0) return configured;
  return source === 'file' ? [...standardAuthLogs] : [...standardAuthLogs, JOURNAL];
};

/** Whether the line reaches the monitor. */
export const reaches = (m: MonitorConfig, l: LogLine): boolean => (l.log === undefined ? m.type === 'auth_failures' : logsRead(m).includes(l.log));

/**
 * Why a test's line reaches no monitor (a mistake in the test: a line nobody reads
 * proves nothing), or null.
 */
export const unreadLine = (monitors: readonly MonitorConfig[], l: Pick<LogLine, 'log'>): string | null => {
  const readers = monitors.filter(isLogMonitor);
  if (readers.some((m) => reaches(m, { ...l, line: '' }))) return null;
  const read = [...new Set(readers.flatMap(logsRead))];
  const known = read.length > 0 ? `the monitors read: ${read.join(', ')}` : 'the config has no auth_failures or log_failures monitor';
  return l.log === undefined
    ? `no auth_failures monitor takes a line without \`log:\`; say which log it is written to (${known})`
    : `no auth_failures or log_failures monitor reads ${l.log} (${known})`;
};
