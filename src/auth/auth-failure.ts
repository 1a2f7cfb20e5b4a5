/**
 * What the SSH detection works on: one failed (or pre-authentication aborted) SSH
 * connection attempt, as sshd logged it.
 */
import type { Release } from './line-ledger.js';

/** The kinds of failure sshd reports; each pattern of the table yields one. */
export type FailureKind =
  | 'failed_password'
  | 'invalid_user'
  | 'not_allowed_user'
  | 'pam_failure'
  | 'max_attempts'
  | 'failed_publickey'
  | 'failed_keyboard_interactive'
  | 'preauth_disconnect'
  | 'no_identification'
  | 'protocol_error'
  | 'kex_failure';

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
  /** id of the pattern that matched (see sshd-patterns.ts) */
  pattern: string;
  /**
   * File sources only: keeps the saved log cursor from passing this failure's line
   * until the returned release is called (line-ledger.ts). Not data: never stored.
   */
  hold?: () => Release;
}
