import type { Migration, MigrationProvider } from 'kysely';
import * as initial from './2026-11-21-001-initial.js';
import * as banEvents from './2026-11-30-001-ban-events.js';
import * as alertOwed from './2026-11-30-002-alert-owed.js';
import * as frozenProcesses from './2026-12-01-001-frozen-processes.js';
import * as restartState from './2026-12-01-002-restart-state.js';

/**
 * Every migration, by its date-prefixed name. Listed statically (not read from the
 * directory) so the same code runs from sources under tsx and from the build.
 */
const migrations: Record<string, Migration> = {
  '2026-11-21-001-initial': initial,
  '2026-11-30-001-ban-events': banEvents,
  '2026-11-30-002-alert-owed': alertOwed,
  '2026-12-01-001-frozen-processes': frozenProcesses,
  '2026-12-01-002-restart-state': restartState,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};
