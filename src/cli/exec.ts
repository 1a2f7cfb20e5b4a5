/**
 * `panicmode exec [limits] -- COMMAND ARGS...`: runs a job under hard limits and kills
 * its whole tree at the first breach (src/exec/run-job.ts does the work).
 */
import { Subject } from 'rxjs';
import { join } from 'node:path';
import type { Command } from './command.js';
import { parseArgs } from './args.js';
import { ExecError, UsageError } from '../errors.js';
import { loadConfigForCli } from './config-source.js';
import { createHost } from '../host/host.js';
import { parseMeminfo } from '../collectors/memory.js';
import { ensurePrivateDir, stateDir } from '../config/state-dir.js';
import { openDatabaseStrict } from '../storage/database.js';
import { insertIncidents } from '../storage/incidents-repository.js';
import { parseDuration } from '../config/duration.js';
import { type JobLimits, parseCpuPercent, parseMaxProcs, parseMemorySpec, parseTimeout, resolveMemory } from '../exec/job-limits.js';
import { runJob } from '../exec/run-job.js';
import { ExecExit } from '../exec/exec-exit-codes.js';

const help = `Usage: panicmode exec [--timeout 10s] [--cpu 50%] [--memory 50%|512M] [--max-procs 5]
                      [--snapshot DIR] [--config FILE] [--no-cgroup] -- COMMAND [ARGS...]

Runs COMMAND under hard limits: in a cgroup of its own where the host allows it (cgroup
v2, or the v1 memory/pids/cpu/freezer controllers), else in its own process group with
the limits enforced from /proc. At a breach or the timeout the whole process tree is
frozen, then killed, and a critical incident is recorded in the incident database.
When COMMAND ends by itself, anything it left running is killed too.

Options:
  --timeout DUR     kill the job after DUR (e.g. 10s, 5m)
  --cpu PCT         CPU of one core (50%, or 200% for two cores). In a cgroup: a cap
                    (the job is throttled, never killed for it); without one: killed
                    when its average over --cpu-window is above PCT
  --cpu-window DUR  how long CPU use must stay over --cpu without a cgroup (default 3s)
  --memory SIZE     512M, 2G, ... or a share of the host's memory: 50%. In a cgroup the
                    kernel OOM-kills at the limit; without one: summed RSS of the tree
  --max-procs N     at most N processes at once. In a cgroup (pids.max) this counts
                    threads too and a fork beyond it fails; without one: processes
  --snapshot DIR    copy DIR (with a SHA-256 manifest) before the job; if the job is
                    killed or fails, restore DIR and verify it by checksum
  --config FILE     the config whose storage.incident_db records incidents (also
                    $PANICMODE_CONFIG); default: the embedded default's database
  --no-cgroup       never use a cgroup: process group and /proc only
                    (also $PANICMODE_EXEC_NO_CGROUP=1)

Exit codes:
  the job's own     it ended by itself (128+N when a signal from elsewhere killed it)
  ${ExecExit.timeout}               killed at --timeout (as timeout(1))
  ${ExecExit.memory}               killed at --memory
  ${ExecExit.cpu}               killed at --cpu (only without a cgroup)
  ${ExecExit.procs}               killed at --max-procs
  ${ExecExit.restoreFailed}               --snapshot DIR could not be restored and verified (the
                    job's own outcome is in the incidents)
  ${ExecExit.internal}               panicmode exec could not run or watch the job (then killed)
  126, 127          COMMAND not executable / not found (from the shell)
  128+N             panicmode exec itself got signal N (SIGINT, SIGTERM): job killed
  2                 bad arguments or config

Docs: docs/exec.md
`;

/** Splits `[options] -- COMMAND ARGS...`: the command is everything after the first `--`. */
const splitCommand = (argv: string[]): { options: string[]; command: string[] } => {
  const at = argv.indexOf('--');
  if (at < 0) throw new UsageError("the command goes after `--`: panicmode exec [options] -- COMMAND [ARGS...]");
  const command = argv.slice(at + 1);
  if (command.length === 0) throw new UsageError('no command after `--`');
  return { options: argv.slice(0, at), command };
};

export const command: Command = {
  name: 'exec',
  summary: 'run a job under hard limits (time, CPU, memory, processes), kill its tree at a breach',
  help,
  run: async (argv) => {
    const split = splitCommand(argv);
    const { options, positionals } = parseArgs(
      split.options,
      {
        timeout: { value: true },
        cpu: { value: true },
        'cpu-window': { value: true },
        memory: { value: true },
        'max-procs': { value: true },
        snapshot: { value: true },
        config: { value: true, env: 'PANICMODE_CONFIG' },
        'no-cgroup': { value: false },
      },
      'exec',
    );
    if (positionals.length > 0) throw new UsageError(`unexpected ${JSON.stringify(positionals[0])} before \`--\` (the command goes after it)`);
    const host = createHost();
    const memory = options.memory === undefined ? null : parseMemorySpec(String(options.memory));
    let cpuWindowMs = 3000;
    if (options['cpu-window'] !== undefined) {
      try {
        cpuWindowMs = parseDuration(String(options['cpu-window']));
      } catch (err) {
        throw new UsageError(`--cpu-window: ${(err as Error).message}`);
      }
    }
    const limits: JobLimits = {
      timeoutMs: options.timeout === undefined ? null : parseTimeout(String(options.timeout)),
      cpuPercent: options.cpu === undefined ? null : parseCpuPercent(String(options.cpu)),
      memoryBytes: memory === null ? null : resolveMemory(memory, parseMeminfo(host.readProcSync('meminfo')).get('MemTotal') ?? 0),
      maxProcs: options['max-procs'] === undefined ? null : parseMaxProcs(String(options['max-procs'])),
    };
    // A bad config is exit 2 before the job starts, not a lost incident after it.
    const config = await loadConfigForCli(options.config as string | undefined);
    const snapshotRoot = join(stateDir(), 'exec-snapshots');
    if (options.snapshot !== undefined) ensurePrivateDir(snapshotRoot);

    const abort$ = new Subject<NodeJS.Signals>();
    const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
    const onSignal = (sig: NodeJS.Signals) => abort$.next(sig);
    for (const sig of signals) process.on(sig, onSignal);
    try {
      const outcome = await runJob(
        {
          argv: split.command,
          limits,
          snapshotDir: (options.snapshot as string | undefined) ?? null,
          useCgroup: !options['no-cgroup'] && process.env.PANICMODE_EXEC_NO_CGROUP !== '1',
          cpuSustainMs: cpuWindowMs,
        },
        {
          host,
          snapshotRoot,
          abort$,
          log: (line) => process.stderr.write(`panicmode exec: ${line}\n`),
          record: async (incident) => {
            const opened = await openDatabaseStrict(config.storage.incident_db);
            try {
              await insertIncidents(opened.db, [incident]);
            } finally {
              await opened.close();
            }
          },
        },
      );
      return outcome.exitCode;
    } catch (err) {
      if (!(err instanceof ExecError)) throw err;
      process.stderr.write(`panicmode exec: ${err.message} [${err.code}]\n`);
      return ExecExit.internal;
    } finally {
      for (const sig of signals) process.off(sig, onSignal);
    }
  },
};
