/**
 * `snapshot` (and every `type: system` action): a diagnostic bundle of the host at the
 * incident — read by PanicMode itself from the proc root (src/snapshot/diagnostic-bundle.ts),
 * plus the configured extra commands' output, run meanwhile — written as one JSON file
 * under `storage.snapshot_dir` (src/snapshot/snapshot-files.ts: 0600 files, named by time
 * and incident), and the directory pruned to `storage.max_snapshots`.
 */
import type { Action, ActionOutcome } from './action.js';
import type { Host } from '../host/host.js';
import { collectBundle } from '../snapshot/diagnostic-bundle.js';
import { runExtraCommands } from '../snapshot/extra-commands.js';
import { formatSnapshot, snapshotDocument } from '../snapshot/snapshot-document.js';
import { pruneSnapshots, writeSnapshotFile } from '../snapshot/snapshot-files.js';
import { SNAPSHOT_CPU_SAMPLE_MS, type BundleSection } from '../snapshot/snapshot-config.js';

export interface SnapshotOptions {
  /** storage.snapshot_dir */
  dir: string;
  /** storage.max_snapshots */
  maxSnapshots: number;
  /** the sections (capture:) */
  sections: ReadonlySet<BundleSection>;
  /** extra commands, name → command for /bin/sh -c */
  commands: Readonly<Record<string, string>>;
  /** each extra command's kill timer (snapshot-config.ts: commandTimeoutMs) */
  commandTimeoutMs: number;
  /** the CPU shares' span (default SNAPSHOT_CPU_SAMPLE_MS) */
  cpuSampleMs?: number;
  /** how many processes each top list holds (default 10) */
  top?: number;
}

export const snapshotAction = (name: string, host: Host, options: SnapshotOptions): Action => ({
  name,
  kind: 'background',
  run: async (ctx): Promise<ActionOutcome> => {
    if (ctx.dryRun) return { outcome: 'dry_run', summary: `would write a snapshot to ${options.dir}`, target: options.dir };
    const [bundle, commands] = await Promise.all([
      collectBundle(host, {
        sections: options.sections,
        cpuSampleMs: options.cpuSampleMs ?? SNAPSHOT_CPU_SAMPLE_MS,
        top: options.top ?? 10,
        signal: ctx.signal,
      }),
      runExtraCommands(host, options.commands, options.commandTimeoutMs),
    ]);
    const doc = snapshotDocument(ctx.incident, host.procRoot, bundle, commands);
    const file = await writeSnapshotFile(options.dir, ctx.incident.ts, ctx.incident.name, formatSnapshot(doc));
    const pruned = await pruneSnapshots(options.dir, options.maxSnapshots);
    const missing = Object.keys(bundle.unavailable);
    const notes = [
      ...(missing.length > 0 ? [`without ${missing.join(', ')}`] : []),
      ...(pruned.length > 0 ? [`${pruned.length} older removed`] : []),
    ];
    return { outcome: 'ok', summary: `snapshot saved to ${file}${notes.length > 0 ? ` (${notes.join('; ')})` : ''}`, target: file };
  },
});
