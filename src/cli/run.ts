/**
 * `panicmode run`: loads the config (or the embedded default), starts the agent, and
 * owns the process lifecycle. The signal handlers are installed before anything else
 * (config, database), so no signal ever meets Node's default of dying:
 *
 *  - SIGINT/SIGTERM stop gracefully within SHUTDOWN_BUDGET_MS, whatever is in progress
 *    (a start-up, a reload, a channel that hangs): in-flight actions finish, queued
 *    alerts are drained, and when the budget is spent the process exits anyway. A
 *    second SIGINT/SIGTERM exits at once.
 *  - SIGHUP reloads the config, one reload at a time: SIGHUPs that arrive while one runs
 *    (or during start-up) coalesce into exactly one more. A new config that is invalid
 *    is refused and the running one keeps running.
 *
 * The mass-freeze policy (`mass_freeze.yaml` beside the config) is loaded and checked
 * with the config, at start (a bad one exits 2) and on every reload.
 */
import { Subject } from 'rxjs';
import type { Command } from './command.js';
import { parseArgs } from './args.js';
import { configPathFrom, loadConfigForCli } from './config-source.js';
import { ExitCode } from '../errors.js';
import { createLogger } from '../log/logger.js';
import { startAgent, type RunningAgent } from '../agent.js';
import type { Config } from '../config/schema.js';
import { clearSecretCache, secretTtlMs } from '../config/secrets.js';
import { concatMapLatest } from '../../streams/concatMapLatest.js';
import { readFileSync } from 'node:fs';
import { loadRunMassFreezePolicy, type MassFreezePolicy } from '../config/mass-freeze.js';

const help = `Usage: panicmode run [--config FILE] [--rules FILE[,FILE...]]

Runs the agent in the foreground: collects metrics every performance.check_interval,
evaluates the monitors and the anomaly detector, acts, alerts, and records incidents.

Options:
  --config FILE   the config to run (also $PANICMODE_CONFIG). Without one, the embedded
                  default runs: host pressure and SSH brute-force rules, console alerts,
                  SQLite under $PANICMODE_STATE_DIR (./.panicmode, or /var/lib/panicmode
                  as root), protective actions in dry-run.
  --rules FILES   rule packs (rules/*.yaml, comma-separated) whose monitors join the
                  config's, like its rules: key; a pack already included counts once.

Signals: SIGINT/SIGTERM stop gracefully (within 10 s; a second one exits at once);
SIGHUP reloads the config.
Environment: PANICMODE_CONFIG, PANICMODE_STATE_DIR, PANICMODE_PROC_ROOT, PANICMODE_LOG_LEVEL.
`;

const SHUTDOWN_BUDGET_MS = 10_000;
/** Kept back from the graceful stop for closing storage before the budget's hard exit. */
const CLOSE_RESERVE_MS = 1_000;

export const command: Command = {
  name: 'run',
  summary: 'run the agent',
  help,
  run: async (argv) => {
    const { options, positionals } = parseArgs(argv, { config: { value: true, env: 'PANICMODE_CONFIG' }, rules: { value: true } }, 'run');
    const rules = typeof options.rules === 'string' ? options.rules.split(',').filter((p) => p !== '') : [];
    if (positionals.length > 0) {
      process.stderr.write(`panicmode run: unexpected argument '${positionals[0]}' (did you mean --config ${positionals[0]}?)\n`);
      return ExitCode.usage;
    }
    const logger = createLogger('panicmode');
    const explicit = options.config as string | undefined;
    const path = configPathFrom(explicit);

    // ── signals, from the first instant ────────────────────────────────────────
    let stopSignal: string | null = null;
    let deadline = Infinity;
    let stopRequested!: (signal: string) => void;
    const stopping = new Promise<string>((resolve) => (stopRequested = resolve));
    const onStopSignal = (signal: NodeJS.Signals) => {
      if (stopSignal) {
        logger.warn(`${signal} again: exiting now`);
        process.exit(ExitCode.runtime);
      }
      stopSignal = signal;
      deadline = Date.now() + SHUTDOWN_BUDGET_MS;
      logger.info(`${signal}: shutting down (up to ${SHUTDOWN_BUDGET_MS / 1000}s)`);
      // The budget holds even when something in progress does not end (a start-up, a
      // reload draining a channel that hangs).
      setTimeout(() => {
        logger.error(`shutdown did not finish within ${SHUTDOWN_BUDGET_MS / 1000}s: exiting with work left (queued alerts stay in the outbox)`);
        process.exit(ExitCode.runtime);
      }, SHUTDOWN_BUDGET_MS).unref();
      stopRequested(signal);
    };

    // Reload requests, worked one at a time; a SIGHUP during start-up waits for it.
    let agentStarted!: (agent: RunningAgent | null) => void;
    const started = new Promise<RunningAgent | null>((resolve) => (agentStarted = resolve));
    let config: Config | null = null;
    let policy: MassFreezePolicy | null = null;
    let sighupPending = false;
    const reloadRequests$ = new Subject<void>();
    const reload = async (): Promise<void> => {
      const agent = await started;
      if (!agent || stopSignal || !config) return;
      // A SIGHUP among the coalesced requests makes this a full reload; otherwise it is
      // a secret refresh, which reloads only when a value changed.
      const forced = sighupPending;
      sighupPending = false;
      if (forced) {
        logger.info('SIGHUP: reloading config');
        clearSecretCache();
      }
      try {
        const next = await loadConfigForCli(explicit, rules);
        const nextPolicy = await loadRunMassFreezePolicy(path, next.monitors);
        if (!forced && JSON.stringify([next, nextPolicy]) === JSON.stringify([config, policy])) return;
        if (stopSignal) return;
        await agent.reload(next, nextPolicy);
        config = next;
        policy = nextPolicy;
        logger.info(forced ? 'config reloaded' : 'a secret changed: config reloaded');
      } catch (err) {
        if (forced) logger.error('reload rejected, the previous config keeps running', { error: (err as Error).message });
        else logger.warn('secret refresh failed; the current values stay in use', { error: (err as Error).message });
      }
    };
    const reloadsDone = new Promise<void>((resolve) =>
      reloadRequests$.pipe(concatMapLatest(() => reload())).subscribe({ complete: resolve, error: () => resolve() }),
    );

    process.on('SIGINT', onStopSignal);
    process.on('SIGTERM', onStopSignal);
    process.on('SIGHUP', () => {
      sighupPending = true;
      reloadRequests$.next();
    });

    // ── start ──────────────────────────────────────────────────────────────────
    let agent: RunningAgent;
    try {
      // A bad config throws a ConfigError here: exit 2, nothing started.
      config = await loadConfigForCli(explicit, rules);
      policy = await loadRunMassFreezePolicy(path, config.monitors);
      if (stopSignal) return ExitCode.ok;
      logger.info(path ? `starting with ${path}` : 'starting with the embedded default config (protective actions in dry-run)');
      agent = await startAgent(config, { logger, configPath: path, massFreeze: policy });
    } catch (err) {
      agentStarted(null);
      reloadRequests$.complete();
      throw err;
    }
    agentStarted(agent);

    // Secrets rotate: when their cache expires they are read again, and a changed value
    // (a new Vault token, a rotated webhook URL) is swapped in like a reload.
    if (path && readFileSync(path, 'utf8').includes('${')) {
      const refresh = setInterval(() => reloadRequests$.next(), secretTtlMs() + 1000);
      refresh.unref();
      void stopping.then(() => clearInterval(refresh));
    }

    // ── stop ───────────────────────────────────────────────────────────────────
    await stopping;
    reloadRequests$.complete(); // a reload in progress ends; a coalesced one is not started
    await reloadsDone;
    try {
      await agent.stop(Math.max(0, deadline - Date.now() - CLOSE_RESERVE_MS));
      return ExitCode.ok;
    } catch (err) {
      logger.error('shutdown failed', { error: (err as Error).message });
      return ExitCode.runtime;
    }
  },
};
