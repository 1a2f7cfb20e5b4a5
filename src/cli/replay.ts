/**
 * `panicmode replay --log FILE [--filter F] [--mode M] [--config FILE] [--json]`: the
 * detection run offline over a log file through a filter, like fail2ban-regex — lines
 * read, lines matched, failures per address and per pattern, and the incidents and bans
 * the rules would have produced (bans through the firewall's own never-block decision),
 * windows measured on the log's own timestamps.
 */
import type { Command } from './command.js';
import { parseArgs } from './args.js';
import { ExitCode, UsageError } from '../errors.js';
import { replayLog, type ReplayResult } from '../auth/replay-log.js';
import { defaultBruteForceRule, formatWindow, type BruteForceRule } from '../auth/brute-force-rule.js';
import { loadFilter } from '../auth/filters/load-filter.js';
import { createNeverBlock } from '../firewall/never-block.js';

const help = `Usage: panicmode replay --log FILE [--filter NAME|FILE] [--mode MODE] [--config FILE] [--json]

Runs the brute-force detection offline over a log (syslog, ISO-8601, RFC 5424 or no
timestamps), like fail2ban-regex, and prints:
  - lines read and lines matched (failures recognised),
  - failures per IP address, and lines matched per filter pattern,
  - the incidents the rules would have raised, and the bans (block_ip) — an address the
    firewall never bans (private and reserved ranges, this machine's addresses,
    firewall.whitelist) is shown as not banned, as the agent would do.
Windows are measured on the log's own timestamps.

Options:
  --log FILE      the log file to read (e.g. /var/log/auth.log)
  --filter F      a shipped filter by name (rules/filters/F.yaml) or a filter file;
                  default sshd
  --mode M        the filter's mode (sshd: normal, ddos, extra, aggressive; each filter
                  lists its own); default: the config monitor's mode, else the
                  filter's default
  --config FILE   use this config's monitors that read with the filter (auth_failures
                  for sshd, log_failures with that filter), firewall.whitelist and
                  firewall.ipv6_prefix; without it, the default rule: more than 5
                  failures from one address within 60s (IPv6: from one /64)
  --json          one JSON object: {"lines":N,"matched":N,"failures_by_ip":{...},
                  "incidents":[...],"by_pattern":{...}}
`;

/**
 * The enabled monitors of a config file that read with `filter` (auth_failures: sshd;
 * log_failures: theirs) as detection rules, and its ban time.
 */
export const rulesFromConfig = async (path: string, filter = 'sshd'): Promise<{ rules: BruteForceRule[]; ban_ms: number; ipv6_prefix: number; whitelist: string[]; mode?: string }> => {
  // loaded here, not at the top: the config codecs and YAML parser cost more start-up
  // time than a million-line replay takes, and `replay` without --config needs none of them
  const { loadConfigFile } = await import('../config/load.js');
  // secrets are only checked for form: replay sends nothing anywhere
  const config = await loadConfigFile(path, { secrets: 'check' });
  const { monitorFilterName } = await import('../auth/filters/monitor-filter.js');
  const monitors = config.monitors.filter((m) => m.enabled && monitorFilterName(m) === filter);
  const rules = monitors.map((m) => ({
    name: m.name, threshold: m.threshold, window: m.window, actions: m.actions, severity: m.severity,
    ...(m.type === 'log_failures' ? { monitorType: 'log_failures', counted: `${filter.replace(/^.*[/\\]|\.ya?ml$/g, '')} failures` } : {}),
  }));
  // a named `block_ip` action's duration wins over the firewall's ban time
  const ban_ms = config.actions?.block_ip?.duration ?? config.firewall.ban_duration;
  return { rules, ban_ms, ipv6_prefix: config.firewall.ipv6_prefix, whitelist: config.firewall.whitelist, mode: monitors[0]?.mode };
};

const fmtTime = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);

export const formatReplay = (r: ReplayResult, rules: readonly BruteForceRule[], top = 20): string => {
  const out: string[] = [];
  const pct = r.lines > 0 ? ` (${((100 * r.matched) / r.lines).toFixed(1)}%)` : '';
  out.push(`Lines read:    ${r.lines}`);
  out.push(`Lines matched: ${r.matched}${pct}`);
  out.push(`Rules:         ${rules.length === 0 ? '(no enabled monitor reads with this filter)' : rules.map((x) => `${x.name} (> ${x.threshold} in ${formatWindow(x.window ?? 60_000)})`).join('; ')}`);
  const ips = Object.entries(r.failures_by_ip);
  out.push('', `Failures per IP (${ips.length} address${ips.length === 1 ? '' : 'es'}${ips.length > top ? `, top ${top}` : ''}):`);
  for (const [ip, n] of ips.slice(0, top)) out.push(`  ${ip.padEnd(40)} ${n}`);
  const patterns = Object.entries(r.by_pattern);
  out.push('', `Lines per pattern (${patterns.length}):`);
  for (const [id, n] of patterns) out.push(`  ${id.padEnd(40)} ${n}`);
  out.push('', `Incidents (${r.incidents.length}):`);
  for (const i of r.incidents) out.push(`  ${fmtTime(i.ts)}  [${i.severity}] ${i.name}: ${i.description}`);
  const bans = r.incidents.filter((i) => i.actions.includes('block_ip'));
  out.push('', `Bans (${bans.length}):`);
  for (const i of bans) out.push(`  ${fmtTime(i.ts)}  ${(i.metadata.ips ?? []).join(', ')}  (${i.name})`);
  return out.join('\n');
};

export const command: Command = {
  name: 'replay',
  summary: 'run brute-force detection offline over a log file (any filter)',
  help,
  run: async (argv) => {
    const { options, positionals } = parseArgs(
      argv,
      { log: { value: true }, config: { value: true }, json: { value: false }, filter: { value: true }, mode: { value: true } },
      'replay',
    );
    if (positionals.length > 0) throw new UsageError(`replay: unexpected argument "${positionals[0]}" (use --log FILE)`);
    const log = options.log as string | undefined;
    if (!log) throw new UsageError('replay: --log FILE is required');
    const fromConfig = options.config ? await rulesFromConfig(String(options.config), String(options.filter ?? 'sshd')) : undefined;
    // a bad filter file or mode is a usage problem (exit 2), named by the ConfigError
    const filter = loadFilter(String(options.filter ?? 'sshd'), (options.mode as string | undefined) ?? fromConfig?.mode);
    const name = filter.definition.name;
    const rules = fromConfig?.rules ?? [
      name === 'sshd'
        ? defaultBruteForceRule
        : { ...defaultBruteForceRule, name: `${name} brute force`, monitorType: 'log_failures', counted: `${name} failures` },
    ];
    const neverBlock = createNeverBlock({ whitelist: fromConfig?.whitelist ?? [] });
    let result: ReplayResult;
    try {
      result = await replayLog(log, rules, { ban_ms: fromConfig?.ban_ms, ipv6Prefix: fromConfig?.ipv6_prefix, filter, neverBlock });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      process.stderr.write(`panicmode replay: --log ${log}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}\n`);
      return ExitCode.runtime;
    }
    process.stdout.write((options.json ? JSON.stringify(result) : formatReplay(result, rules)) + '\n');
    return ExitCode.ok;
  },
};
