/**
 * The firewall backend contract, after fail2ban's action lifecycle:
 *
 * - `start()`  prepare what bans need (nftables: table, sets, chain), idempotently;
 * - `check()`  verify the backend still works (throws with the reason when not);
 * - `ban()`    put entries in force, all of a burst in one go where the backend can;
 *              resolves with the entries that failed (one bad entry never sinks the
 *              rest of a burst), rejects only when the backend cannot work at all;
 * - `unban()`  lift entries, same contract; lifting one already gone is no failure;
 * - `list()`   what the firewall holds now, or null when the backend cannot tell
 *              (a script cannot list; reconciling then re-runs the idempotent script);
 * - `flush()`  lift every ban this backend put in place, and nothing else;
 * - `stop()`   release resources. Bans stay in force: they carry their own expiry
 *              (nft element timeouts) or are lifted by the agent on its next start,
 *              so a restart never opens a window for the attacker.
 *
 * Targets are canonical address/CIDR texts from `parseTarget` (see address.ts); a
 * backend re-validates them anyway before they reach a process.
 */

/** One ban to put in force. */
export interface BanEntry {
  /** canonical address or CIDR text */
  target: string;
  /** how long the ban lasts from now in ms; null = until lifted */
  timeoutMs: number | null;
  reason: string;
}

/** One ban as the firewall holds it. */
export interface HeldBan {
  target: string;
  /** ms until the firewall lifts it by itself, when it knows; null = no expiry */
  expiresInMs: number | null;
}

/** A target the backend could not ban or unban, and why. */
export interface TargetFailure {
  target: string;
  error: Error;
}

export type BackendName = 'script' | 'nftables' | 'dry_run';

export interface FirewallBackend {
  readonly name: BackendName;
  start(): Promise<void>;
  check(): Promise<void>;
  ban(entries: readonly BanEntry[]): Promise<TargetFailure[]>;
  unban(targets: readonly string[]): Promise<TargetFailure[]>;
  list(): Promise<HeldBan[] | null>;
  flush(): Promise<void>;
  stop(): Promise<void>;
}
