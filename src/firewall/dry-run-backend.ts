/**
 * The dry-run backend: says what it would do and changes nothing in the firewall. The
 * embedded default config runs with it until a config turns protective actions on.
 */
import type { FirewallBackend } from './backend.js';
import type { Logger } from '../log/logger.js';
import { formatDuration } from '../config/duration.js';

export const createDryRunBackend = (logger: Logger): FirewallBackend => ({
  name: 'dry_run',
  start: async () => {},
  check: async () => {},
  ban: async (entries) => {
    for (const e of entries)
      logger.info(`would block ${e.target} ${e.timeoutMs === null ? 'until lifted' : 'for ' + formatDuration(e.timeoutMs)} (${e.reason})`);
    return [];
  },
  unban: async (targets) => {
    for (const t of targets) logger.info(`would unblock ${t}`);
    return [];
  },
  list: async () => [],
  flush: async () => {},
  stop: async () => {},
});
