/**
 * The `restart_process` action: restarts the supervised services (`processes:`) that the
 * incident names by pid — a service's own limit incidents name it; any rule whose
 * incident lists the service's pid does too. The restart goes through the service's
 * restart budget (a crash loop puts it in cooldown instead), stops the running instance
 * (SIGTERM to its group, SIGKILL after stop_timeout) and starts it again.
 */
import type { Action } from './action.js';
import type { Supervisor } from '../supervision/supervisor.js';

export const restartProcessAction = (supervisor: Pick<Supervisor, 'restartFor'>, name = 'restart_process'): Action => ({
  name,
  kind: 'protective',
  run: async ({ incident, dryRun }) => supervisor.restartFor(incident.metadata.pids ?? [], dryRun),
});
