/**
 * What sshd writes when someone fails (or gives up before) authenticating, as data: one
 * table, one row per message shape, like a fail2ban filter. Each regex is applied to the
 * MESSAGE part of a line (after `sshd[pid]: `), anchored at its start (sticky) and at the
 * end of the line (`$`, multiline), with named groups `ip` and (where sshd logs one) `user`.
 *
 * Why anchored at both ends: user names, protocol banners and disconnect reasons are
 * chosen by the client. A user name such as `x from 6.6.6.6 port 1 ssh2` must not frame
 * 6.6.6.6; sshd always writes the real address last, and only the last ` from ` can be
 * followed by `<HOST> port N ssh2` up to the end of the line, so `(?<user>.*?)` (lazy:
 * cheap for the usual short name) still ends up taking everything before the real one.
 *
 * `prefix` is the literal text every match starts with: the parser dispatches on it before
 * running any regex (most lines of an auth log never reach a regex). Every row must have at
 * least one sample line in test/fixtures/logs/sshd.log (the suite checks it).
 *
 * Versions: OpenSSH 6.x wrote addresses without `port N` in several messages and
 * `Received disconnect from IP: 11: ...`; 7.x added ports; 7.5+/8.x added `authenticating
 * user`/`invalid user` to the preauth close messages and `banner exchange:`; 9.8 moved
 * the per-connection messages to `sshd-session`.
 */
import type { FailureKind } from './auth-failure.js';

export interface SshdPattern {
  /** stable id, referenced by the sample file's expectations */
  id: string;
  kind: FailureKind;
  /** literal start of the message (dispatch before the regex) */
  prefix: string;
  /** applied sticky at the message start, multiline; named groups `ip`, optional `user` */
  regex: RegExp;
  description: string;
}

/**
 * The remote address as sshd prints it: a dotted quad (octets ≤ 255 checked here, in
 * the regex engine), or an IPv6 / v4-mapped form with a colon (validated after the
 * match). It must look like an address so a lazy or greedy user name cannot give way
 * to a port number or a hex-looking word.
 */
const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const HOST = `(?<ip>${OCTET}(?:\\.${OCTET}){3}(?![\\d.])|[0-9A-Fa-f]*:[0-9A-Fa-f:.]+)`;
const PORT = ' port \\d+';
const PREAUTH = '(?: \\[preauth\\])?';

/** `<HOST>` placeholders like fail2ban's; every regex anchored sticky at the message start. */
const re = (source: string): RegExp => new RegExp(source.replaceAll('<HOST>', HOST), 'ym');

export const sshdPatterns: readonly SshdPattern[] = [
  {
    id: 'failed-password-invalid-user',
    kind: 'invalid_user',
    prefix: 'Failed password for invalid user ',
    regex: re(`Failed password for invalid user (?<user>.*?) from <HOST>${PORT}(?: ssh2)?${PREAUTH}$`),
    description: 'password tried for a user that does not exist',
  },
  {
    id: 'failed-password',
    kind: 'failed_password',
    prefix: 'Failed password for ',
    regex: re(`Failed password for (?!invalid user )(?<user>.*?) from <HOST>${PORT}(?: ssh2)?${PREAUTH}$`),
    description: 'wrong password for an existing user',
  },
  {
    id: 'failed-none-invalid-user',
    kind: 'invalid_user',
    prefix: 'Failed none for invalid user ',
    regex: re(`Failed none for invalid user (?<user>.*?) from <HOST>${PORT}(?: ssh2)?${PREAUTH}$`),
    description: '"none" method probed for a user that does not exist',
  },
  {
    id: 'failed-publickey',
    kind: 'failed_publickey',
    prefix: 'Failed publickey for ',
    regex: re(`Failed publickey for (?:invalid user )?(?<user>.*?) from <HOST>${PORT}(?: ssh2)?(?:: [A-Z][A-Z0-9-]* \\S+)?${PREAUTH}$`),
    description: 'public key refused (logged with LogLevel VERBOSE or for a signature failure)',
  },
  {
    id: 'failed-keyboard-interactive',
    kind: 'failed_keyboard_interactive',
    prefix: 'Failed keyboard-interactive/pam for ',
    regex: re(`Failed keyboard-interactive/pam for (?:invalid user )?(?<user>.*?) from <HOST>${PORT}(?: ssh2)?${PREAUTH}$`),
    description: 'keyboard-interactive (PAM) authentication failed',
  },
  {
    id: 'invalid-user',
    kind: 'invalid_user',
    prefix: 'Invalid user ',
    regex: re(`Invalid user (?<user>.*?) from <HOST>(?:${PORT})?${PREAUTH}$`),
    description: 'connection named a user that does not exist (6.x: without port)',
  },
  {
    id: 'user-not-allowed',
    kind: 'not_allowed_user',
    prefix: 'User ',
    regex: re(`User (?<user>.*?) from <HOST> not allowed because (?:not listed in AllowUsers|listed in DenyUsers|not in any group|none of user's groups are listed in AllowGroups|a group is listed in DenyGroups|not allowed)${PREAUTH}$`),
    description: 'AllowUsers/DenyUsers/AllowGroups refused the user',
  },
  {
    id: 'pam-auth-failure',
    kind: 'pam_failure',
    prefix: 'pam_unix(sshd:auth): authentication failure; ',
    regex: re(`pam_unix\\(sshd:auth\\): authentication failure; logname=\\S* uid=\\d* euid=\\d* tty=\\S* ruser=\\S* rhost=<HOST>(?:\\s+user=(?<user>.*?))?\\s*$`),
    description: 'PAM (pam_unix) rejected the password',
  },
  {
    id: 'pam-more-failures',
    kind: 'pam_failure',
    prefix: 'PAM ',
    regex: re(`PAM \\d+ more authentication failures?; logname=\\S* uid=\\d* euid=\\d* tty=\\S* ruser=\\S* rhost=<HOST>(?:\\s+user=(?<user>.*?))?\\s*$`),
    description: 'PAM summary of further failures on one connection',
  },
  {
    id: 'max-auth-attempts',
    kind: 'max_attempts',
    prefix: 'error: maximum authentication attempts exceeded for ',
    regex: re(`error: maximum authentication attempts exceeded for (?:invalid user )?(?<user>.*?) from <HOST>${PORT}(?: ssh2)?${PREAUTH}$`),
    description: 'MaxAuthTries reached on one connection',
  },
  {
    id: 'too-many-auth-failures',
    kind: 'max_attempts',
    prefix: 'Disconnecting ',
    regex: re(`Disconnecting (?:authenticating|invalid) user (?<user>.*?) <HOST>${PORT}: Too many authentication failures${PREAUTH}$`),
    description: 'disconnect after MaxAuthTries (7.5+)',
  },
  {
    id: 'connection-closed-preauth',
    kind: 'preauth_disconnect',
    prefix: 'Connection closed by ',
    regex: re(`Connection closed by (?:(?:authenticating|invalid) user (?<user>.*?) )?<HOST>(?:${PORT})? \\[preauth\\]$`),
    description: 'client closed the connection before authenticating',
  },
  {
    id: 'connection-reset-preauth',
    kind: 'preauth_disconnect',
    prefix: 'Connection reset by ',
    regex: re(`Connection reset by (?:(?:authenticating|invalid) user (?<user>.*?) )?<HOST>(?:${PORT})? \\[preauth\\]$`),
    description: 'connection reset before authenticating',
  },
  {
    id: 'disconnected-preauth',
    kind: 'preauth_disconnect',
    prefix: 'Disconnected from ',
    regex: re(`Disconnected from (?:authenticating|invalid) user (?<user>.*?) <HOST>${PORT} \\[preauth\\]$`),
    description: 'disconnected while authenticating (a logged-in user\'s "Disconnected from user x" does not match)',
  },
  {
    id: 'received-disconnect-preauth',
    kind: 'preauth_disconnect',
    prefix: 'Received disconnect from ',
    regex: re(`Received disconnect from <HOST>(?:${PORT})?: ?\\d+: .* \\[preauth\\]$`),
    description: 'client sent a disconnect before authenticating (6.x: `from IP: 11: ...`)',
  },
  {
    id: 'no-identification',
    kind: 'no_identification',
    prefix: 'Did not receive identification string from ',
    regex: re(`Did not receive identification string from <HOST>(?:${PORT})?$`),
    description: 'connected and never spoke SSH (port scanners)',
  },
  {
    id: 'banner-exchange',
    kind: 'protocol_error',
    prefix: 'banner exchange: Connection from ',
    regex: re(`banner exchange: Connection from <HOST>${PORT}: (?:invalid format|could not read protocol version|Connection timed out|Connection reset by peer|Broken pipe)$`),
    description: 'garbage or nothing instead of an SSH banner (8.x+)',
  },
  {
    id: 'bad-protocol-version',
    kind: 'protocol_error',
    prefix: 'Bad protocol version identification ',
    regex: re(`Bad protocol version identification '.*' from <HOST>(?:${PORT})?$`),
    description: 'non-SSH banner, e.g. an HTTP request (7.x)',
  },
  {
    id: 'unable-to-negotiate',
    kind: 'kex_failure',
    prefix: 'Unable to negotiate with ',
    regex: re(`Unable to negotiate with <HOST>(?:${PORT})?: no matching (?:key exchange method|host key type|cipher|MAC) found\\b.*$`),
    description: 'no common algorithm (old scanners and bots)',
  },
  {
    id: 'fatal-unable-to-negotiate',
    kind: 'kex_failure',
    prefix: 'fatal: Unable to negotiate with ',
    regex: re(`fatal: Unable to negotiate with <HOST>(?:${PORT})?: no matching (?:key exchange method|host key type|cipher|MAC) found\\b.*$`),
    description: 'same, as OpenSSH 6.x/7.0 wrote it',
  },
];
