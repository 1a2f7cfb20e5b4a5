/**
 * What the SSH detection works on: one failed (or pre-authentication aborted) SSH
 * connection attempt, as sshd logged it.
 */
import type { Release } from './line-ledger.js';

/** The kind of failure, as the filter's pattern names it (sshd: `failed_password`, `invalid_user`, ...). */
export type FailureKind = string;

export interface AuthFailure {
  /** unix ms, from the line's own timestamp (journal: the entry's realtime); absent when unparseable */
  ts?: number;
  /** the remote address, normalised (IPv4-mapped IPv6 → IPv4, IPv6 lower-case) */
  ip: string;
  kind: FailureKind;
  /** the user name sshd reported (attacker-chosen text: never trust it) */
  user?: string;
  /** the logging process's pid, as written in the line (trusted only from the journal) */
  pid?: number;
  /** the logging program: sshd, sshd-session (OpenSSH ≥ 9.8) or sshd-auth (OpenSSH ≥ 10) */
  program: string;
  /** id of the filter pattern that matched (rules/filters/*.yaml) */
  pattern: string;
  /**
   * File sources only: keeps the saved log cursor from passing this failure's line
   * until the returned release is called (line-ledger.ts). Not data: never stored.
   */
  hold?: () => Release;
  /** failures this line stands for when more than one (`message repeated N times`, held failures of its connection) */
  count?: number;
}
