/**
 * What one snapshot file holds, and how it is written: JSON (for jq and for tools), laid
 * out for a person too — the summary sections first, indented; then the extra commands'
 * output; then every process on a line of its own, the busiest first, so `less` or `grep`
 * on the file reads like a process list.
 */
import type { Incident } from '../model/incident.js';
import type { CommandCapture } from './extra-commands.js';
import type { DiagnosticBundle } from './diagnostic-bundle.js';

export const SNAPSHOT_FORMAT = 'panicmode-snapshot/1';

export interface SnapshotDocument extends DiagnosticBundle {
  format: typeof SNAPSHOT_FORMAT;
  incident: { name: string; severity: string; status: string; description: string; at: string; key: string };
  /** the proc root it was read from (`/proc`, or `/host/proc` in a sidecar) */
  procRoot: string;
  commands?: CommandCapture[];
}

/** Pure: the document of a bundle taken for `incident`. */
export const snapshotDocument = (incident: Incident, procRoot: string, bundle: DiagnosticBundle, commands: CommandCapture[]): SnapshotDocument => {
  const { processes, ...sections } = bundle;
  return {
    format: SNAPSHOT_FORMAT,
    incident: {
      name: incident.name, severity: incident.severity, status: incident.status, description: incident.description,
      at: new Date(incident.ts).toISOString(), key: incident.key,
    },
    procRoot,
    ...sections,
    ...(commands.length > 0 ? { commands } : {}),
    ...(processes ? { processes } : {}),
  };
};

/** Pure: the file's text (see the header). JSON.parse of it gives the document back. */
export const formatSnapshot = (doc: SnapshotDocument): string => {
  const { processes, ...rest } = doc;
  const head = JSON.stringify(rest, null, 2);
  if (!processes) return `${head}\n`;
  const rows = processes.map((p) => `    ${JSON.stringify(p)}`).join(',\n');
  return `${head.slice(0, -2)},\n  "processes": [\n${rows}\n  ]\n}\n`;
};
