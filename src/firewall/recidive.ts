/**
 * Recidive (fail2ban's jail of that name): an address banned `bans` times within
 * `window` gets a long ban (`ban_duration`, default a week) from that ban on. fail2ban
 * watches its own log for "Ban" lines; here the ban manager has every ban in hand, so
 * recidive is a ban-length policy applied where the ban is decided, over the history
 * of bans put in force (`ban_events`, see ban-events.ts). Off by default, like
 * fail2ban's; `firewall.recidive` turns it on.
 */

export interface RecidiveOptions {
  enabled: boolean;
  /** the ban that makes this many within `window` is the long one */
  bans: number;
  /** ms */
  window: number;
  /** ms: the long ban */
  ban_duration: number;
}

export const defaultRecidive: RecidiveOptions = { enabled: false, bans: 5, window: 86_400_000, ban_duration: 7 * 86_400_000 };

/** The longest recidive window accepted (ban_events older than this are deleted). */
export const MAX_RECIDIVE_WINDOW_MS = 30 * 86_400_000;

/**
 * The length of a ban that would be the `nth` of its address within the recidive window
 * (this one included), given the length it would otherwise get (`null`: until lifted).
 * Never shortens a ban.
 */
export const recidiveDuration = (proposedMs: number | null, nth: number, r: RecidiveOptions | undefined): number | null =>
  !r?.enabled || proposedMs === null || nth < r.bans ? proposedMs : Math.max(proposedMs, r.ban_duration);
