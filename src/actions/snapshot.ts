/**
 * `snapshot`: captures the system state (processes, sockets, memory, disks, uptime)
 * into one timestamped text file under `storage.snapshot_dir`, for the post-mortem.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Action, ActionOutcome } from './action.js';
import type { Host } from '../host/host.js';

const probes: [string, string, string[]][] = [
  ['processes', 'ps', ['aux', '--sort=-%cpu']],
  ['sockets', 'ss', ['-tanp']],
  ['memory', 'free', ['-m']],
  ['disks', 'df', ['-h']],
  ['uptime', 'uptime', []],
];

export const snapshotAction = (dir: string, host: Host, timeoutMs: number): Action => ({
  name: 'snapshot',
  kind: 'background',
  run: async (ctx): Promise<ActionOutcome> => {
    const file = join(dir, `snapshot-${new Date(ctx.incident.ts).toISOString().replace(/[:.]/g, '-')}.txt`);
    if (ctx.dryRun) return { outcome: 'dry_run', summary: `would write snapshot ${file}`, target: file };
    await mkdir(dir, { recursive: true });
    const parts = await Promise.all(
      probes.map(async ([title, cmd, args]) => {
        try {
          const r = await host.exec(cmd, args, { timeoutMs });
          return `### ${title}: ${cmd} ${args.join(' ')}\n${r.stdout}${r.stderr ? '\n' + r.stderr : ''}`;
        } catch (err) {
          return `### ${title}: ${cmd} unavailable: ${(err as Error).message}`;
        }
      }),
    );
    const header = `# PanicMode snapshot for ${ctx.incident.name} (${ctx.incident.severity})\n# ${ctx.incident.description}\n\n`;
    await writeFile(file, header + parts.join('\n\n'), { mode: 0o600 });
    return { outcome: 'ok', summary: `snapshot saved to ${file}`, target: file };
  },
});
