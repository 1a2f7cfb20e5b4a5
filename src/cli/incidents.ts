import type { Command } from './command.js';
import { parseArgs } from './args.js';
import { UsageError, ExitCode } from '../errors.js';
import { openDatabaseStrict } from '../storage/database.js';
import { listIncidents } from '../storage/incidents-repository.js';
import { existsSync } from 'node:fs';
import { parseDuration } from '../config/duration.js';
import { loadConfigForCli } from './config-source.js';

const help = `Usage: panicmode incidents [--db FILE | --config FILE] [--since 1h] [--limit N] [--json]

Lists the incidents PanicMode recorded, newest first.

Options:
  --db FILE       the SQLite database to read
  --config FILE   read storage.incident_db from this config (also $PANICMODE_CONFIG);
                  without --db or --config, the embedded default's database is read
  --since DUR     only incidents from the last DUR (e.g. 30m, 1h, 7d)
  --limit N       at most N incidents (default 100)
  --json          one JSON array instead of a table
`;

const fmtTime = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);

export const command: Command = {
  name: 'incidents',
  summary: 'list recorded incidents',
  help,
  run: async (argv) => {
    const { options } = parseArgs(
      argv,
      {
        db: { value: true },
        config: { value: true, env: 'PANICMODE_CONFIG' },
        since: { value: true },
        limit: { value: true },
        json: { value: false },
      },
      'incidents',
    );
    let since: number | undefined;
    if (options.since) {
      try {
        since = Date.now() - parseDuration(String(options.since));
      } catch (err) {
        throw new UsageError(`--since: ${(err as Error).message}`);
      }
    }
    const limit = options.limit ? Number(options.limit) : 100;
    if (!Number.isInteger(limit) || limit <= 0) throw new UsageError(`--limit: expected a positive integer, got "${options.limit}"`);
    let dbPath = options.db as string | undefined;
    if (!dbPath) {
      const config = await loadConfigForCli(options.config as string | undefined);
      dbPath = config.storage.incident_db;
    }
    if (!existsSync(dbPath)) {
      process.stderr.write(`panicmode incidents: no database at ${dbPath} (has the agent run yet?)\n`);
      return ExitCode.runtime;
    }
    const opened = await openDatabaseStrict(dbPath);
    try {
      const rows = await listIncidents(opened.db, { since, limit });
      if (options.json) {
        const out = rows.map((r) => ({
          ...r,
          actions: JSON.parse(r.actions) as string[],
          ips: r.ips ? (JSON.parse(r.ips) as string[]) : [],
        }));
        process.stdout.write(JSON.stringify(out, null, 2) + '\n');
      } else if (rows.length === 0) {
        process.stdout.write('no incidents' + (options.since ? ` in the last ${options.since}` : '') + '\n');
      } else {
        for (const r of rows) {
          process.stdout.write(
            `${fmtTime(r.ts)}  ${r.severity.toUpperCase().padEnd(8)} ${r.status.padEnd(8)} ${r.name}: ${r.description}` +
              (r.count > 1 ? ` (×${r.count})` : '') +
              '\n',
          );
        }
      }
      return ExitCode.ok;
    } finally {
      await opened.close();
    }
  },
};
