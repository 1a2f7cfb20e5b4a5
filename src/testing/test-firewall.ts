/**
 * The agent's own ban manager (firewall/ban-manager.ts) for rule tests: over an
 * in-memory SQLite database migrated as the agent's is, on the test's virtual clock,
 * with a backend that records each ban it is asked to put in force instead of touching
 * a firewall (the dry-run backend's place). So a test's bans are the ban manager's:
 * the never-block list (without this machine's own addresses, which a test does not
 * have), bans in force and in flight, IPv6 prefixes, growth for repeat offenders,
 * recidive, its history in SQLite.
 *
 * The ban manager is asynchronous (its database, its backend queue): a test drives it
 * with runVirtualTime (virtual-time-driver.ts), which lets its work finish before the
 * virtual clock moves on.
 */
import { Subject, type Observable, type SchedulerLike } from 'rxjs';
import type { Config } from '../config/schema.js';
import type { FirewallBackend } from '../firewall/backend.js';
import { createBanManager, type BanManager } from '../firewall/ban-manager.js';
import { createNeverBlock } from '../firewall/never-block.js';
import { openDatabase } from '../storage/database.js';
import { memoryLogger } from '../log/logger.js';

/** A ban as the backend was asked to put it in force. */
export interface RecordedBan {
  at: number;
  /** the address or prefix */
  ip: string;
  /** when it ends on the virtual clock; null: until lifted */
  until: number | null;
  /** the ban's reason: the incident's name */
  rule: string;
}

export interface TestFirewall {
  manager: BanManager;
  bans$: Observable<RecordedBan>;
  close(): Promise<void>;
}

export const createTestFirewall = async (config: Config, scheduler: SchedulerLike): Promise<TestFirewall> => {
  const bans$ = new Subject<RecordedBan>();
  const opened = await openDatabase(':memory:');
  const backend: FirewallBackend = {
    name: 'dry_run',
    start: async () => {},
    check: async () => {},
    ban: async (entries) => {
      const at = scheduler.now();
      for (const e of entries) bans$.next({ at, ip: e.target, until: e.timeoutMs === null ? null : at + e.timeoutMs, rule: e.reason });
      return [];
    },
    unban: async () => [],
    list: async () => [],
    flush: async () => {},
    stop: async () => {},
  };
  const manager = createBanManager({
    db: opened.db,
    backend,
    options: config.firewall,
    circuit: config.circuit_breakers,
    neverBlock: createNeverBlock({ whitelist: config.firewall.whitelist, ownAddresses: () => [] }),
    logger: memoryLogger(),
    scheduler,
  });
  await manager.start();
  return {
    manager,
    bans$,
    close: async () => {
      await manager.stop();
      bans$.complete();
      await opened.close();
    },
  };
};
