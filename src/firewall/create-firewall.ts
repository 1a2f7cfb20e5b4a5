/**
 * Builds the firewall from its config slices: the backend (`firewall.backend`, or the
 * dry-run one when `firewall.dry_run` or the agent runs in dry-run), the never-block
 * list and the ban manager; and the connection limiter beside it. The composition root
 * calls this once and then `start()`.
 */
import type { SchedulerLike } from 'rxjs';
import type { Db } from '../storage/schema.js';
import type { Logger } from '../log/logger.js';
import type { FirewallBackend } from './backend.js';
import { createBanManager, type BanManager } from './ban-manager.js';
import { createNeverBlock } from './never-block.js';
import { createScriptBackend } from './script-backend.js';
import { createNftBackend } from './nft-backend.js';
import { createDryRunBackend } from './dry-run-backend.js';
import { systemNft, type NftRunner } from './nft-runner.js';
import { defaultCircuitBreakers, type CircuitBreakerOptions, type FirewallOptions } from './firewall-options.js';
import { createRateLimiter, type RateLimiter } from './rate-limiter.js';
import type { ConnectionRate } from './connection-rate.js';

export interface FirewallDeps {
  db: Db;
  options: FirewallOptions;
  circuit?: CircuitBreakerOptions;
  logger: Logger;
  /** force dry-run (the agent's global dry-run) */
  dryRun?: boolean;
  /** how nft is run; default the system's nft */
  nft?: NftRunner;
  ownAddresses?: () => readonly string[];
  /** the pipeline's clock (BanManagerDeps.scheduler) */
  scheduler?: SchedulerLike;
  now?: () => number;
  /** ban rows could not be read or written (bans stay in force); see BanManagerDeps */
  onStorageFailure?: (message: string) => void;
}

/** The backend the options ask for. */
export const createBackend = (deps: Omit<FirewallDeps, 'db'>): FirewallBackend => {
  const circuit = deps.circuit ?? defaultCircuitBreakers;
  const logger = deps.logger.child?.('firewall') ?? deps.logger;
  if (deps.dryRun || deps.options.dry_run) return createDryRunBackend(logger);
  if (deps.options.backend === 'nftables')
    return createNftBackend({ run: deps.nft ?? systemNft('nft', circuit.timeout), table: deps.options.nft_table, logger });
  return createScriptBackend({
    block_script: deps.options.block_script,
    unblock_script: deps.options.unblock_script,
    timeoutMs: circuit.timeout,
    maxConcurrency: circuit.max_concurrency,
    logger,
  });
};

/** The ban manager over the configured backend. Call `start()` before use. */
export const createFirewall = (deps: FirewallDeps): BanManager =>
  createBanManager({
    db: deps.db,
    backend: createBackend(deps),
    options: deps.options,
    circuit: deps.circuit,
    neverBlock: createNeverBlock({ whitelist: deps.options.whitelist, ownAddresses: deps.ownAddresses }),
    logger: deps.logger,
    scheduler: deps.scheduler,
    now: deps.now,
    onStorageFailure: deps.onStorageFailure,
  });

/**
 * The per-source connection limiter (rate_limit) over the same table, runner and
 * never-block rules as the bans, or why there is none: a block script can ban but not
 * meter. Call `start()` before use.
 */
export const createConnectionLimiter = (deps: Omit<FirewallDeps, 'db'> & { rates: readonly ConnectionRate[]; scheduler?: SchedulerLike }): RateLimiter | string => {
  const dryRun = deps.dryRun || deps.options.dry_run;
  if (deps.options.backend !== 'nftables' && !dryRun) return 'per-source connection limits need firewall.backend: nftables (a block script cannot meter connections)';
  return createRateLimiter({
    run: deps.nft ?? systemNft('nft', (deps.circuit ?? defaultCircuitBreakers).timeout),
    table: deps.options.nft_table,
    rates: deps.rates,
    neverBlock: createNeverBlock({ whitelist: deps.options.whitelist, ownAddresses: deps.ownAddresses }),
    ipv6Prefix: deps.options.ipv6_prefix,
    logger: deps.logger.child?.('rate_limit') ?? deps.logger,
    dryRun,
    scheduler: deps.scheduler,
  });
};
