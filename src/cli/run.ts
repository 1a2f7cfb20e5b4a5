/**
 * `panicmode run`: loads the config (or the embedded default), starts the agent, and
 * owns the process lifecycle: SIGINT/SIGTERM stop gracefully (in-flight actions get
 * 10 s, queued alerts are drained), SIGHUP reloads the config and keeps the old one
 * running when the new one is invalid.
 */
import type { Command } from './command.js';
import { parseArgs } from './args.js';
import { configPathFrom, loadConfigForCli } from './config-source.js';
import { ExitCode } from '../errors.js';
import { createLogger } from '../log/logger.js';
import { startAgent } from '../agent.js';
import { clearSecretCache, secretTtlMs } from '../config/secrets.js';
import { readFileSync } from 'node:fs';

const help = `Usage: panicmode run [--config FILE]

Runs the agent in the foreground: collects metrics every performance.check_interval,
evaluates the monitors and the anomaly detector, acts, alerts, and records incidents.

Options:
  --config FILE   the config to run (also $PANICMODE_CONFIG). Without one, the embedded
                  default runs: host pressure and SSH brute-force rules, console alerts,
                  SQLite under $PANICMODE_STATE_DIR (./.panicmode, or /var/lib/panicmode
                  as root), protective actions in dry-run.

Signals: SIGINT/SIGTERM stop gracefully; SIGHUP reloads the config.
Environment: PANICMODE_CONFIG, PANICMODE_STATE_DIR, PANICMODE_PROC_ROOT, PANICMODE_LOG_LEVEL.
`;

const SHUTDOWN_BUDGET_MS = 10_000;

export const command: Command = {
  name: 'run',
  summary: 'run the agent',
  help,
  run: async (argv) => {
    const { options, positionals } = parseArgs(argv, { config: { value: true, env: 'PANICMODE_CONFIG' } }, 'run');
    if (positionals.length > 0) {
      process.stderr.write(`panicmode run: unexpected argument '${positionals[0]}' (did you mean --config ${positionals[0]}?)\n`);
      return ExitCode.usage;
    }
    const logger = createLogger('panicmode');
    const explicit = options.config as string | undefined;
    const path = configPathFrom(explicit);
    // A bad config throws a ConfigError here: exit 2, nothing started.
    let config = await loadConfigForCli(explicit);
    logger.info(path ? `starting with ${path}` : 'starting with the embedded default config (protective actions in dry-run)');

    const agent = await startAgent(config, { logger, configPath: path });

    return new Promise<number>((resolve) => {
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) {
          logger.warn(`${signal} again: exiting now`);
          resolve(ExitCode.runtime);
          return;
        }
        stopping = true;
        logger.info(`${signal}: shutting down (up to ${SHUTDOWN_BUDGET_MS / 1000}s)`);
        void agent.stop(SHUTDOWN_BUDGET_MS).then(
          () => resolve(ExitCode.ok),
          (err) => {
            logger.error('shutdown failed', { error: (err as Error).message });
            resolve(ExitCode.runtime);
          },
        );
      };
      const reload = async () => {
        logger.info('SIGHUP: reloading config');
        clearSecretCache();
        try {
          const next = await loadConfigForCli(explicit);
          await agent.reload(next);
          config = next;
          logger.info('config reloaded');
        } catch (err) {
          logger.error('reload rejected, the previous config keeps running', { error: (err as Error).message });
        }
      };
      // Secrets rotate: when their cache expires they are read again, and a changed value
      // (a new Vault token, a rotated webhook URL) is swapped in like a reload.
      if (path && readFileSync(path, 'utf8').includes('${')) {
        const refresh = setInterval(() => {
          void loadConfigForCli(explicit)
            .then(async (next) => {
              if (stopping || JSON.stringify(next) === JSON.stringify(config)) return;
              await agent.reload(next);
              config = next;
              logger.info('a secret changed: config reloaded');
            })
            .catch((err) => logger.warn('secret refresh failed; the current values stay in use', { error: (err as Error).message }));
        }, secretTtlMs() + 1000);
        refresh.unref();
      }
      process.on('SIGINT', () => stop('SIGINT'));
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGHUP', () => void reload());
    });
  },
};
