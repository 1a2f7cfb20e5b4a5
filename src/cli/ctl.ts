/**
 * `panicmode ctl list | unblock <IP> | ban <IP> [--for 1h] | frozen | thaw <PID|all>`: talks to a running agent
 * through its control socket (`--socket PATH`, else firewall.ctl_socket of
 * `--config FILE`, else the default path). `panicmode-ctl` is the same command.
 */
import type { Command } from './command.js';
import { parseArgs } from './args.js';
import { ExitCode, UsageError } from '../errors.js';
import { parseDuration, formatDuration, formatDurationSeconds } from '../config/duration.js';
import { MAX_BAN_MS } from '../firewall/firewall-options.js';
import { defaultCtlSocket } from '../config/state-dir.js';
import { loadConfigFile } from '../config/load.js';
import { ctlRequest } from '../api/ctl-client.js';
import type { CtlRequest } from '../api/ctl-protocol.js';
import type { ListedBan } from '../firewall/ban-manager.js';
import type { FrozenProcess } from '../actions/frozen-registry.js';
import { parseTarget } from '../firewall/address.js';

const help = `Usage: panicmode ctl <list | unblock IP | ban IP [--for DURATION] | frozen | thaw PID|all> [--socket PATH | --config FILE] [--json]

Talks to a running agent through its control socket.

Commands:
  list            bans the firewall holds: address, when it expires, offence count,
                  reason, state: in force, or lifting (expired or asked to be lifted,
                  its unblock not done yet; with the error when it failed and is retried)
  unblock IP      lift the ban on IP (or the prefix ban covering it)
  ban IP          ban IP (or a CIDR block) now; never-block addresses, and blocks wider
                  than /8 (IPv4) or /32 (IPv6), are refused
  frozen          processes PanicMode froze (SIGSTOP) and has not thawed
  thaw PID|all    continue (SIGCONT) one frozen process, or all of them; a process that
                  exited, or whose pid now names another process, is dropped, not signalled

Options:
  --for DUR       ban length (e.g. 30m, 1h, 7d; at most 365d); default firewall.ban_duration
  --socket PATH   the control socket (also $PANICMODE_CTL_SOCKET)
  --config FILE   read firewall.ctl_socket from this config
  --json          print the agent's JSON answer

Without --socket or --config: /run/panicmode/ctl.sock as root, else $PANICMODE_STATE_DIR/ctl.sock.
`;

/** Where the socket is: --socket, else the config's firewall.ctl_socket, else the default. */
export const resolveSocketPath = async (options: { socket?: string; config?: string }): Promise<string> => {
  if (options.socket) return options.socket;
  if (options.config) {
    // Secrets only checked for form: ctl needs one path, not the Vault.
    const config = await loadConfigFile(options.config, { secrets: 'check' });
    return config.firewall.ctl_socket;
  }
  return defaultCtlSocket();
};

/**
 * A stored time as a date, or null when it is none (a row an older version stored with
 * a far-future expiry, a row edited by hand): such values are shown as they are, never
 * thrown on.
 */
const asDate = (ms: unknown): Date | null => {
  const d = typeof ms === 'number' ? new Date(ms) : null;
  return d && !Number.isNaN(d.getTime()) ? d : null;
};

/** `YYYY-MM-DD HH:MM:SS` UTC, or the raw value. */
const fmtTime = (ms: unknown): string => asDate(ms)?.toISOString().replace('T', ' ').slice(0, 19) ?? String(ms);

const fmtExpiry = (expires: unknown, now: number): string => {
  if (expires === null) return 'never';
  const at = asDate(expires);
  if (!at) return String(expires);
  const left = at.getTime() - now;
  // A ban past its end is still listed while its unblock runs (or is retried).
  return `${fmtTime(expires)} (${left >= 0 ? `in ${formatDurationSeconds(left)}` : `ended ${formatDurationSeconds(-left)} ago`})`;
};

const fmtState = (b: ListedBan): string => (b.lift_error === null ? b.state : `${b.state} (unblock failed, trying again: ${b.lift_error})`);

/** The `ctl list` table; `now` is when the listing was taken (remaining times count from it). */
export const formatBanTable = (bans: readonly ListedBan[], now: number): string => {
  if (bans.length === 0) return 'no bans in force\n';
  const rows = bans.map((b) => [String(b.ip), fmtTime(b.blocked_at), fmtExpiry(b.expires_at, now), String(b.ban_count), String(b.reason), fmtState(b)]);
  const head = ['IP', 'BLOCKED', 'EXPIRES', 'COUNT', 'REASON', 'STATE'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(head), ...rows.map(line)].join('\n') + '\n';
};

/** The `ctl frozen` table. */
export const formatFrozenTable = (frozen: readonly FrozenProcess[], now: number): string => {
  if (frozen.length === 0) return 'no frozen processes\n';
  const rows = frozen.map((f) => [String(f.pid), String(f.name), fmtTime(f.frozenAt), f.thawAt === null ? 'ctl thaw' : fmtExpiry(f.thawAt, now), `${f.action}: ${f.reason}`, f.cmdline.length > 60 ? f.cmdline.slice(0, 57) + '...' : f.cmdline]);
  const head = ['PID', 'NAME', 'FROZEN', 'THAW', 'BY', 'CMDLINE'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(head), ...rows.map(line)].join('\n') + '\n';
};

export const command: Command = {
  name: 'ctl',
  summary: 'talk to a running agent: list, ban, unblock IPs; list and thaw frozen processes',
  help,
  run: async (argv) => {
    const { options, positionals } = parseArgs(
      argv,
      {
        socket: { value: true, env: 'PANICMODE_CTL_SOCKET' },
        config: { value: true },
        for: { value: true },
        json: { value: false },
      },
      'ctl',
    );
    const [sub, ip, ...extra] = positionals;
    if (!sub) throw new UsageError('ctl: expected a subcommand: list, unblock IP or ban IP');
    if (extra.length > 0) throw new UsageError(`ctl ${sub}: unexpected argument ${JSON.stringify(extra[0])}`);
    let request: CtlRequest;
    if (sub === 'list' || sub === 'frozen') {
      if (ip) throw new UsageError(`ctl ${sub}: unexpected argument ${JSON.stringify(ip)}`);
      request = { cmd: sub };
    } else if (sub === 'thaw') {
      if (!ip) throw new UsageError('ctl thaw: expected a PID or all');
      if (ip !== 'all' && !/^[1-9]\d{0,9}$/.test(ip)) throw new UsageError(`ctl thaw: ${JSON.stringify(ip)} is not a PID or all`);
      request = { cmd: 'thaw', pid: ip === 'all' ? 'all' : Number(ip) };
    } else if (sub === 'unblock' || sub === 'ban') {
      if (!ip) throw new UsageError(`ctl ${sub}: expected an IP address`);
      if (!parseTarget(ip)) throw new UsageError(`ctl ${sub}: ${JSON.stringify(ip)} is not an IP address or CIDR block`);
      if (sub === 'unblock') request = { cmd: 'unblock', ip };
      else {
        let forMs: number | undefined;
        if (options.for !== undefined) {
          try {
            forMs = parseDuration(String(options.for));
          } catch (err) {
            throw new UsageError(`ctl ban: --for: ${(err as Error).message}`);
          }
          if (forMs <= 0) throw new UsageError('ctl ban: --for: must be longer than 0');
          if (forMs > MAX_BAN_MS) throw new UsageError(`ctl ban: --for: ${String(options.for)} is longer than the longest ban, ${formatDuration(MAX_BAN_MS)}`);
        }
        request = { cmd: 'ban', ip, for_ms: forMs };
      }
    } else {
      throw new UsageError(`ctl: unknown subcommand ${JSON.stringify(sub)} (list, unblock, ban, frozen, thaw)`);
    }
    if (options.for !== undefined && sub !== 'ban') throw new UsageError(`ctl ${sub}: --for only applies to ban`);

    const path = await resolveSocketPath({ socket: options.socket as string | undefined, config: options.config as string | undefined });
    const res = await ctlRequest(path, request);
    if (options.json) process.stdout.write(JSON.stringify(res, null, 2) + '\n');
    if (!res.ok) {
      if (!options.json) process.stderr.write(`panicmode ctl ${sub}: ${res.error}\n`);
      return ExitCode.runtime;
    }
    if (options.json) return ExitCode.ok;
    if ('bans' in res) process.stdout.write(formatBanTable(res.bans, Date.now()));
    else if ('frozen' in res) process.stdout.write(formatFrozenTable(res.frozen, Date.now()));
    else if ('thawed' in res) {
      for (const f of res.thawed) process.stdout.write(`thawed ${f.pid} (${f.name})\n`);
      for (const f of res.gone) process.stdout.write(`${f.pid} (${f.name}) is gone or its pid was reused: dropped, not signalled\n`);
      if (res.thawed.length + res.gone.length === 0) process.stdout.write('no frozen processes\n');
    } else if ('lifted' in res) process.stdout.write(`unblocked ${res.lifted.join(', ')}\n`);
    else {
      const r = res.result;
      for (const b of r.banned)
        process.stdout.write(`banned ${b.ip} ${b.expires_at === null ? 'until lifted' : 'until ' + fmtTime(b.expires_at)}\n`);
      for (const a of r.already) process.stdout.write(`${a.ip} is already banned (by ${a.by})\n`);
    }
    return ExitCode.ok;
  },
};
