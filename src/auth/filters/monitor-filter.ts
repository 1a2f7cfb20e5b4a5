/**
 * The filter a detection monitor reads with, and its checks at config load: an
 * `auth_failures` monitor uses the shipped sshd filter; a `log_failures` monitor (a
 * jail for any service) names a shipped filter (`nginx-http-auth`) or the absolute path
 * of the user's own filter file. A missing or broken filter, a mode the filter does not
 * have, or a log_failures monitor with nothing to read is a config problem naming the
 * monitor (exit 2 before anything starts), not a surprise at run time.
 */
import { isAbsolute } from 'node:path';
import { ConfigError } from '../../errors.js';
import type { MonitorConfig } from '../../config/schema.js';
import { filterPath, loadFilter } from './load-filter.js';
import type { CompiledFilter } from './compile-filter.js';

/** The filter name or path of a detection monitor (undefined for other types, or when missing). */
export const monitorFilterName = (m: Pick<MonitorConfig, 'type' | 'filter'>): string | undefined =>
  m.type === 'auth_failures' ? 'sshd' : m.type === 'log_failures' ? m.filter : undefined;

/** The monitor's filter compiled in its mode. Throws ConfigError (run monitorFilterProblems first). */
export const monitorFilter = (m: Pick<MonitorConfig, 'type' | 'filter' | 'mode'>): CompiledFilter => {
  const name = monitorFilterName(m);
  if (name === undefined) throw new ConfigError([`monitor type ${m.type} has no log filter`]);
  return loadFilter(name, m.mode);
};

/** Problems of one monitor's filter keys, each naming its place (`monitors[3].filter: ...`). */
export const monitorFilterProblems = (
  at: string,
  m: Pick<MonitorConfig, 'type' | 'filter' | 'mode' | 'paths' | 'journal_match' | 'auth_log'>,
): string[] => {
  const problems: string[] = [];
  const detection = m.type === 'auth_failures' || m.type === 'log_failures';
  if (!detection) {
    if (m.mode !== undefined) problems.push(`${at}.mode: only auth_failures and log_failures monitors have a filter mode (this one is ${m.type})`);
    if (m.filter !== undefined) problems.push(`${at}.filter: only log_failures monitors take a filter (this one is ${m.type})`);
    if (m.journal_match !== undefined) problems.push(`${at}.journal_match: only log_failures monitors read a journal match (this one is ${m.type})`);
    return problems;
  }
  if (m.type === 'auth_failures') {
    if (m.filter !== undefined) problems.push(`${at}.filter: auth_failures monitors use the sshd filter; for another service use type: log_failures`);
    if (m.journal_match !== undefined) problems.push(`${at}.journal_match: auth_failures monitors choose their source with auth_log.source`);
  } else {
    const paths = m.paths ?? [];
    const journal = m.journal_match ?? [];
    if (m.filter === undefined) problems.push(`${at}.filter: a log_failures monitor needs a filter (a shipped one: nginx-http-auth, postfix, dovecot, sshd; or the absolute path of a filter file)`);
    if (paths.length === 0 && journal.length === 0) problems.push(`${at}: a log_failures monitor needs paths (log files to follow) or journal_match`);
    if (paths.length > 0 && journal.length > 0) problems.push(`${at}: give paths or journal_match, not both`);
    journal.forEach((j, i) => {
      if (!/^[A-Z0-9_]+=./.test(j)) problems.push(`${at}.journal_match[${i}]: expected FIELD=value (e.g. _SYSTEMD_UNIT=nginx.service), got "${j}"`);
    });
    if (m.filter !== undefined && /[/\\]/.test(m.filter) && !isAbsolute(m.filter))
      problems.push(`${at}.filter: "${m.filter}": a filter file's path must be absolute (the agent's working directory is not the config's)`);
  }
  if (problems.length > 0) return problems;
  const name = monitorFilterName(m)!;
  try {
    loadFilter(name, m.mode);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const where = name === 'sshd' || !/[/\\]/.test(name) ? `${at}.filter "${name}" (${filterPath(name)})` : `${at}.filter "${name}"`;
    for (const p of err.problems) {
      if (p.startsWith('mode: ')) problems.push(`${at}.mode: ${p.slice(6)}`);
      else problems.push(`${where}: ${p}`);
    }
  }
  return problems;
};
