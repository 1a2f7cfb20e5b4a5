/**
 * Cross-field rules of one `processes:` entry: one way to find it, one way to start it,
 * keys that only act with another (user with start_command, cpu_duration with
 * cpu_percent), a cmdline that compiles, actions that exist. Each problem names its place.
 */
import type { SupervisedProcessConfig } from './schema.js';

export const supervisedProcessProblems = (
  at: string,
  p: SupervisedProcessConfig,
  /** the action-name check shared with monitors (cross-checks.ts) */
  actionProblems: (at: string, actions: readonly string[]) => string[],
): string[] => {
  const problems: string[] = [];
  const finders = (['pidfile', 'cmdline', 'match'] as const).filter((k) => p[k] !== undefined);
  if (finders.length > 1) problems.push(`${at}: give one of pidfile, cmdline, match to find it (got ${finders.join(', ')})`);
  if (p.cmdline !== undefined) {
    try {
      new RegExp(p.cmdline);
    } catch (err) {
      problems.push(`${at}.cmdline: not a regular expression: ${(err as Error).message}`);
    }
  }
  if (!p.systemd_unit && !p.start_command) problems.push(`${at}: needs systemd_unit or start_command to restart it`);
  if (p.systemd_unit && p.start_command) problems.push(`${at}: give one of systemd_unit, start_command (both given)`);
  if (!p.start_command) {
    for (const k of ['user', 'working_dir', 'env'] as const) {
      if (p[k] !== undefined) problems.push(`${at}.${k}: only a start_command runs as a user, in a directory, with an environment (systemd_unit sets its own)`);
    }
  }
  if (p.working_dir !== undefined && !p.working_dir.startsWith('/')) problems.push(`${at}.working_dir: expected an absolute path, got "${p.working_dir}"`);
  if (p.pidfile !== undefined && !p.pidfile.startsWith('/')) problems.push(`${at}.pidfile: expected an absolute path, got "${p.pidfile}"`);
  if (p.limits && p.limits.cpu_percent === undefined && p.limits.cpu_duration !== undefined) {
    problems.push(`${at}.limits.cpu_duration: only acts with limits.cpu_percent`);
  }
  problems.push(...actionProblems(`${at}`, p.actions));
  return problems;
};
