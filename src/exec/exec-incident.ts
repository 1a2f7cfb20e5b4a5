/**
 * The incidents `panicmode exec` records: a job killed at a limit, and a snapshot that
 * could not be restored. Both critical. Pure: what happened in, an Incident out.
 */
import type { Incident } from '../model/incident.js';
import type { Breach } from './job-breach.js';

const describeJob = (argv: readonly string[]): string => {
  const text = argv.join(' ');
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
};

export const breachIncident = (argv: readonly string[], breach: Breach, killedPids: number, containment: string, ts: number): Incident => ({
  key: `exec:${breach.limit}:${ts}`,
  name: `exec_${breach.limit}`,
  severity: 'critical',
  description: `panicmode exec killed \`${describeJob(argv)}\` (${killedPids} process(es), ${containment}): ${breach.detail}`,
  actions: ['kill_process'],
  metadata: { monitorType: 'exec', threshold: breach.threshold, currentValue: breach.value, details: breach.detail },
  ts,
  status: 'firing',
  count: 1,
});

export const restoreFailedIncident = (argv: readonly string[], dir: string, error: string, snapshotHome: string, ts: number): Incident => ({
  key: `exec:restore:${ts}`,
  name: 'exec_restore_failed',
  severity: 'critical',
  description: `panicmode exec could not restore ${dir} after \`${describeJob(argv)}\`: ${error} (snapshot kept at ${snapshotHome})`,
  actions: [],
  metadata: { monitorType: 'exec', threshold: 0, currentValue: 1, details: error },
  ts,
  status: 'firing',
  count: 1,
});
