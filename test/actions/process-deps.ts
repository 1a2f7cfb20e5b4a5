/**
 * ProcessActionDeps for tests: a real frozen registry and victim ledger over the given
 * Host, the wall clock, a logger whose lines the test reads.
 */
import type { Host } from '../../src/host/host.js';
import type { Incident } from '../../src/model/incident.js';
import type { ActionContext } from '../../src/actions/action.js';
import type { ProcessActionDeps } from '../../src/actions/freeze-processes.js';
import { createFrozenRegistry } from '../../src/actions/frozen-registry.js';
import { createVictimLedger } from '../../src/actions/victim-ledger.js';
import { userNames } from '../../src/actions/user-name.js';
import { memoryLogger } from '../../src/log/logger.js';

export const testDeps = (host: Host): ProcessActionDeps & { lines: string[] } => {
  const logger = memoryLogger();
  return {
    host,
    logger,
    lines: logger.lines,
    frozen: createFrozenRegistry({ host, logger }),
    victims: createVictimLedger(),
    userName: userNames(),
    now: () => Date.now(),
    wait: (ms) => new Promise((r) => setTimeout(r, ms)),
  };
};

export const incidentOf = (monitorType = 'cpu_usage', actions: string[] = []): Incident => ({
  key: `test:${monitorType}`, name: 'test incident', severity: 'critical', description: 'test', actions,
  metadata: { monitorType, threshold: 90, currentValue: 99, details: '' }, ts: Date.now(), status: 'firing', count: 1,
});

export const ctxOf = (incident: Incident, dryRun = false): ActionContext => ({ incident, dryRun, signal: new AbortController().signal });
