/**
 * The PanicMode config, as io-ts codecs: the single source of truth for what a config
 * may say, its defaults, and the decoded `Config` type (field names are the YAML keys,
 * durations are milliseconds). It accepts the PanicMode config reference (performance,
 * monitors, actions, anomaly, alerts, integrations, circuit_breakers, storage,
 * custom_metrics, file_monitor, http_api, firewall) and our extensions (processes,
 * users, websocket, retention, dry_run, per-monitor comparison/severity/auth_log, ...).
 * Every object is strict: an unknown key is an error (see struct.ts).
 *
 * Every duration has its own range (durationBetween): `timerDuration` marks the ones a
 * Node timer waits on, whose range must end below 2^31 ms. Each range is justified
 * where it is declared.
 *
 * Cross-field rules (an action must exist, a custom monitor must name a metric, a
 * channel needs its integration) live in cross-checks.ts; this file is shape only.
 */
import * as t from 'io-ts';
import { durationBetween, formatDuration, ms, timerDuration } from './duration.js';
import { MAX_BAN_MS } from '../firewall/firewall-options.js';
import { MAX_RECIDIVE_WINDOW_MS } from '../firewall/recidive.js';
import { struct, optional, withDefault, list, dict, type OptionalType } from './struct.js';
import { collectorParts, collectorRegistry } from '../collectors/registry.js';
import {
  bool, bindAddress, count, httpUrl, ipOrCidr, serverUrl, nonNegative, num, numberBetween, oneOf, percent, port, positiveCount, rate, regex, str, stringish,
  stringMap, stringOrList, text, wholeNumberBetween,
} from './scalars.js';
import { defaultCtlSocket, defaultStoragePaths } from './state-dir.js';

// ─── performance ────────────────────────────────────────────────────────────

export const Performance = struct({
  /** % CPU PanicMode itself may use before it alerts about itself */
  cpu_limit: withDefault(nonNegative, 5),
  /** MB of RSS PanicMode itself may use (the Rust reference's 50 cannot hold a Node.js agent; see self-check-rules.ts) */
  memory_limit_mb: withDefault(nonNegative, 120),
  /**
   * how often periodic collectors run: the collectors' interval timer. Below 100ms the
   * agent spends a core collecting (0s measured at 70 % CPU); above 1h a monitor
   * sees nothing in time.
   */
  check_interval: withDefault(timerDuration('100ms', '1h'), ms(5000)),
});

// ─── monitors ───────────────────────────────────────────────────────────────

export const monitorTypes = [
  'cpu_usage', 'memory_usage', 'swap_usage', 'disk_usage', 'disk_io', 'connection_rate', 'auth_failures',
  'file_monitor', 'process_count', 'load_average', 'custom',
  // a jail for any service (fail2ban's): a log filter's failures per address
  'log_failures',
  // PSI (src/collectors/pressure.ts), as systemd-oomd reads it
  'cpu_pressure', 'memory_pressure', 'io_pressure',
  // process anomalies (src/rules/process-anomalies.ts)
  'zombie_processes', 'memory_leak', 'process_cpu_spike', 'process_growth',
] as const;
export type MonitorType = (typeof monitorTypes)[number];

/** Actions a monitor may name without defining them under `actions:`. */
export const builtinActions = [
  'alert_critical', 'alert_warning', 'alert_info', 'block_ip', 'freeze_top_process', 'mass_freeze', 'mass_freeze_top',
  'kill_process', 'rate_limit', 'snapshot', 'run_script', 'restart_process',
] as const;
/** `mass_freeze_cluster:<name>`: a cluster of the mass-freeze policy file. */
export const massFreezeClusterAction = /^mass_freeze_cluster:([A-Za-z0-9_.-]+)$/;

export const severities = ['info', 'warning', 'critical'] as const;

/** Where SSH auth failures are read from (extension of the auth_failures monitor). */
export const AuthLog = struct({
  /** auto: the first of /var/log/auth.log, /var/log/secure, journald that works */
  source: withDefault(oneOf(['auto', 'file', 'journal'] as const), 'auto' as const),
  /** log file to tail when source is file (or auto); default: auto-detected */
  path: optional(text),
  /** only count lines whose sshd pid is a live sshd process (defeats forged log lines) */
  verify_pid: withDefault(bool, false),
});

export const Monitor = struct({
  name: text,
  type: oneOf(monitorTypes, `a monitor type (one of ${monitorTypes.join(', ')})`),
  threshold: num,
  enabled: withDefault(bool, true),
  actions: withDefault(list(text, 'a list of action names'), () => []),
  /**
   * counting window for event monitors (auth_failures: N failures within window).
   * Compared on timestamps; a zero window counts nothing (the counter refuses it) and
   * every event of the window is held in memory, so a day is the most.
   */
  window: optional(durationBetween('1s', '1d')),
  /** the condition must hold this long before the monitor fires (0s: at once; on timestamps) */
  duration: optional(durationBetween('0s', '1d')),
  /** disk_usage mount points, file_monitor paths */
  paths: optional(list(text, 'a list of paths')),
  /** file_monitor: watch the directories among `paths` with everything below them (default false) */
  recursive: optional(bool),
  // extensions
  /** custom monitors: the custom_metrics key (resolved at load when absent, see cross-checks.ts) */
  metric: optional(text),
  comparison: withDefault(oneOf(['above', 'below'] as const), 'above' as const),
  /** false: fires when value > threshold (or < for below); true: ≥ (≤) */
  inclusive: withDefault(bool, false),
  /** overrides the severity derived from the alert_* action */
  severity: optional(oneOf(severities)),
  /** raise the severity after this many consecutive firings */
  escalate_after: optional(positiveCount),
  /** auth_failures only: where to read SSH failures */
  auth_log: optional(AuthLog),
  /**
   * auth_failures, log_failures: the filter's mode (sshd: normal, ddos, extra, aggressive;
   * each filter lists its own); default the filter's default. Checked against the
   * filter at load (src/auth/filters/monitor-filter.ts).
   */
  mode: optional(text),
  // ─── log_failures (a jail for any service), checked by src/auth/filters/monitor-filter.ts ───
  /** log_failures: a shipped filter's name (rules/filters/NAME.yaml) or the absolute path of a filter file */
  filter: optional(text),
  /** log_failures: journal matches to read instead of `paths` (`_SYSTEMD_UNIT=nginx.service`; same field OR-ed) */
  journal_match: optional(list(text, 'a list of journal matches (FIELD=value)')),
  // ─── process anomalies and PSI (src/rules/process-anomalies.ts, monitor-selectors.ts) ───
  /**
   * memory_leak: process-table reads the RSS must rise at, each above the one before
   * (default 5); process_cpu_spike: reads in its moving average, this one included
   * (default 5). From 2 (one read is no trend) to 100 (25 min of 15 s reads).
   */
  samples: optional(wholeNumberBetween(2, 100)),
  /** process_cpu_spike: how many times its own average the CPU must reach (default 3; below 1.1 every jitter is a spike) */
  multiplier: optional(numberBetween(1.1, 100)),
  /** cpu_pressure, memory_pressure, io_pressure: the PSI line (default: full for memory and io, as systemd-oomd; some for cpu) */
  psi: optional(oneOf(['some', 'full'] as const)),
});

// ─── actions (named action definitions) ─────────────────────────────────────

/**
 * How long a ban lasts. Expiry is scheduled by the ban manager in steps a timer can
 * wait, so weeks are fine; the longest is the firewall's (the same for `ctl ban --for`).
 */
const banDuration = durationBetween('1s', formatDuration(MAX_BAN_MS));

export const actionDefinitionTypes = ['script', 'firewall', 'process', 'system'] as const;

export const ActionDefinition = struct({
  type: oneOf(actionDefinitionTypes, `an action type (one of ${actionDefinitionTypes.join(', ')})`),
  /** script: the executable; process: freeze | kill | restart */
  action: optional(text),
  /** firewall: how long a block lasts (see banDuration) */
  duration: optional(banDuration),
  /** firewall: new connections per source, `10/s`; with it the action limits instead of banning (rate_limit: default 10/s) */
  rate: optional(rate),
  /** firewall with rate (rate_limit): the % of one CPU a process incident's victim is capped at (default 25) */
  cpu: optional(wholeNumberBetween(1, 99)),
  /** system: the sections a snapshot holds (src/snapshot/snapshot-config.ts; absent: all of them) */
  capture: optional(list(text, 'a list of names')),
  /** system: extra commands whose output a snapshot holds, name → command (run by /bin/sh -c, each killed at `timeout`) */
  commands: optional(stringMap),
  /** script: extra arguments */
  args: optional(list(str, 'a list of strings')),
  /** script: extra environment */
  env: optional(stringMap),
  /** script/system: how long it may run; process (kill): the on_kill hook's (the child's kill timer; an hour is generous) */
  timeout: optional(timerDuration('100ms', '1h')),
  /** process (freeze, kill): how many top processes (default 1) */
  count: optional(positiveCount),
  /** process (freeze, kill): a process below this CPU % is never chosen (default 0) */
  min_cpu: optional(percent),
  /** process (freeze, kill): regex on name and full cmdline; matching processes are chosen first */
  prefer: optional(regex),
  /** process (freeze, kill): regex on name and full cmdline; matching processes are chosen last */
  avoid: optional(regex),
  /**
   * process (kill): SIGTERM → SIGKILL wait (default 5s). At most 5m: the kill is one
   * protective action, and must also end within circuit_breakers.timeout (cross-checks.ts)
   */
  grace: optional(durationBetween('0s', '5m')),
  /** process (kill): the process only, its process group, or its whole cgroup */
  scope: optional(oneOf(['process', 'group', 'cgroup'] as const)),
  /** process (kill): a program run once per killed process, with PANIC_* (PANIC_PID, ...) */
  on_kill: optional(text),
  /** process (freezing ones): thaw the processes it froze after this long (a timer; default: until ctl thaw) */
  thaw_after: optional(timerDuration('1s', '7d')),
});

// ─── anomaly ────────────────────────────────────────────────────────────────

/**
 * `anomaly.fork_bomb`: the fast fork-bomb defence (src/processes/fork-bomb-defence.ts).
 * Under `anomaly:` rather than a monitor type because it needs no rule: like the other
 * anomalies it is on by default, and it runs on its own cadence (`interval`), not the
 * check interval, since a bomb fills the pid table within seconds.
 */
export const ForkBomb = struct({
  enabled: withDefault(bool, true),
  /**
   * processes started per second in one tree, over which it is a bomb; the host's task
   * count must also rise this fast in two intervals running before the table is read.
   * 10/s is a shell loop; 100,000/s more than any kernel forks.
   */
  rate: withDefault(wholeNumberBetween(10, 100_000), 200),
  /**
   * how often the host's task count is read (one 30-byte proc file): below 20ms the
   * reads themselves cost; above 10s a bomb fills the pid table before it is seen
   */
  interval: withDefault(timerDuration('20ms', '10s'), ms(100)),
  /** the fewest processes a bomb tree holds (the seed's fork_bomb_threshold: more than 50 children); 2..100,000 */
  min_tree_size: withDefault(wholeNumberBetween(2, 100_000), 50),
  /** kill the tree once it is frozen; false leaves it frozen (SIGSTOP) for an operator to look at and thaw */
  kill: withDefault(bool, true),
  /**
   * how long the tree stays frozen before it is killed (0s: at once; at most 1h): the
   * incident goes out at the freeze, and what an operator thaws meanwhile is spared
   */
  grace: withDefault(timerDuration('0s', '1h'), ms(0)),
});

export const Anomaly = struct({
  enabled: withDefault(bool, true),
  cpu_spike_threshold: withDefault(percent, 95),
  memory_spike_threshold: withDefault(percent, 95),
  connection_spike_threshold: withDefault(nonNegative, 10000),
  suspicious_ip_threshold: withDefault(nonNegative, 3),
  high_load_threshold: withDefault(nonNegative, 10.0),
  suspicious_connections_per_ip: withDefault(nonNegative, 50),
  fork_bomb: withDefault(ForkBomb, () => (ForkBomb.decode({}) as { right: t.TypeOf<typeof ForkBomb> }).right),
});

// ─── alerts ─────────────────────────────────────────────────────────────────

export const channels = [
  'telegram', 'discord', 'slack', 'ntfy', 'webhook', 'email', 'twilio_sms', 'twilio_call', 'alertmanager', 'console', 'file',
] as const;
export type ChannelName = (typeof channels)[number];

/**
 * One delivery attempt's timeout (an abort timer on the request). Past 10m a stuck
 * channel holds its lane while the incident it reports is already stale.
 */
const alertTimeout = timerDuration('100ms', '10m');

export const Contact = struct({
  name: text,
  phone: stringish,
  retries: optional(count),
  timeout: optional(alertTimeout),
});

export const AlertRoute = struct({
  channel: oneOf(channels, `a channel (one of ${channels.join(', ')})`),
  retries: withDefault(count, 3),
  timeout: withDefault(alertTimeout, ms(10_000)),
  /** discord/slack/webhook: URL for this route (overrides the integration's) */
  webhook_url: optional(httpUrl),
  /** ntfy: topic for this route */
  topic: optional(text),
  /** telegram: chat for this route */
  chat_id: optional(stringish),
  /** email: one recipient for this route */
  email: optional(text),
  /** email: recipients for this route */
  to: optional(stringOrList),
  /** twilio_sms / twilio_call: who to text or call, in order */
  contacts: optional(list(Contact, 'a list of contacts')),
  /** webhook: extra HTTP headers */
  headers: optional(stringMap),
  /** webhook: sign the body with HMAC-SHA256 */
  hmac_secret: optional(text),
  /** webhook / alertmanager: URL for this route */
  url: optional(httpUrl),
  /** alertmanager: extra labels */
  labels: optional(stringMap),
  /** file: JSON-lines file for this route */
  path: optional(text),
});

const routes = withDefault(list(AlertRoute, 'a list of alert routes'), () => []);

export const Alerts = struct({
  critical: routes,
  warning: routes,
  info: routes,
  /** absent: emergency alerts go to the critical routes (filled in at load) */
  emergency: optional(list(AlertRoute, 'a list of alert routes')),
});

// ─── integrations ───────────────────────────────────────────────────────────

const enabled = withDefault(bool, true);

const ntfyPriorityNames: Record<string, number> = { min: 1, low: 2, default: 3, high: 4, urgent: 5, max: 5 };
/** ntfy priority: 1..5 or min/low/default/high/urgent(max), decoded to 1..5. */
const ntfyPriority = new t.Type<number, number, unknown>(
  'a priority (1-5 or min, low, default, high, urgent)',
  (u): u is number => typeof u === 'number',
  (u, c) =>
    typeof u === 'number' && Number.isInteger(u) && u >= 1 && u <= 5
      ? t.success(u)
      : typeof u === 'string' && u in ntfyPriorityNames
        ? t.success(ntfyPriorityNames[u]!)
        : t.failure(u, c),
  (a) => a,
);

export const Integrations = struct({
  telegram: optional(struct({ enabled, bot_token: text, chat_id: optional(stringish), api_base_url: optional(serverUrl) })),
  discord: optional(struct({ enabled, webhook_url: httpUrl })),
  slack: optional(struct({ enabled, webhook_url: httpUrl })),
  ntfy: optional(
    struct({
      enabled,
      /** `ntfy.sh` means https://ntfy.sh */
      server: withDefault(serverUrl, 'https://ntfy.sh'),
      topic: text,
      token: optional(text),
      /** 1 (min) .. 5 (max); default per severity */
      priority: optional(ntfyPriority),
      tags: optional(list(text, 'a list of tags')),
    }),
  ),
  email: optional(
    struct({
      enabled,
      smtp_host: text,
      smtp_port: withDefault(port, 587),
      smtp_username: optional(text),
      smtp_password: optional(str),
      from_email: text,
      to_email: withDefault(stringOrList, () => []),
      /** STARTTLS (port 587) */
      use_tls: withDefault(bool, true),
      /** implicit TLS (port 465) */
      secure: withDefault(bool, false),
    }),
  ),
  twilio: optional(
    struct({ enabled, account_sid: text, auth_token: text, from_number: stringish, api_base_url: optional(serverUrl) }),
  ),
  webhook: optional(struct({ enabled, url: optional(httpUrl), hmac_secret: optional(text), headers: optional(stringMap) })),
  alertmanager: optional(struct({ enabled, url: httpUrl, labels: optional(stringMap) })),
  file: optional(struct({ enabled, path: text })),
  console: optional(struct({ enabled })),
});

// ─── circuit breakers, storage, custom metrics, file monitor ────────────────

export const CircuitBreakers = struct({
  max_failures: withDefault(positiveCount, 5),
  /** failures are counted over this window (on timestamps) */
  failure_window: withDefault(durationBetween('1s', '1d'), ms(60_000)),
  /** a tripped breaker skips the action this long; more than a day is a disabled action */
  open_duration: withDefault(durationBetween('1s', '1d'), ms(30_000)),
  max_concurrency: withDefault(positiveCount, 5),
  /**
   * an action's time limit (a timer): 30d overflowed it, so every action "timed out"
   * at once and nothing was ever blocked. An hour is generous for any action.
   */
  timeout: withDefault(timerDuration('100ms', '1h'), ms(10_000)),
});

/** Storage paths; each absent one is derived from the state directory at decode time. */
export const Storage = struct({
  incident_db: withDefault(text, () => defaultStoragePaths().incident_db),
  snapshot_dir: withDefault(text, () => defaultStoragePaths().snapshot_dir),
  /** how many snapshot files snapshot_dir keeps (the oldest go first); one holds every process's cmdline, so 1..10,000 */
  max_snapshots: withDefault(wholeNumberBetween(1, 10_000), 50),
  /** accepted from the Rust PanicMode's configs and warned about at start (key-effects.ts): logs go to stderr */
  log_dir: optional(text),
  /** accepted from the Rust PanicMode's configs and warned about at start (key-effects.ts): dedup state lives in incident_db */
  state_file: optional(text),
});

export const CustomMetric = struct({
  /** run through /bin/sh -c */
  command: text,
  /** the command's kill timer; a metric slower than 10m is no longer a live value */
  timeout: withDefault(timerDuration('100ms', '10m'), ms(5000)),
  /** reuse the last value this long (0: run every check; on timestamps) */
  cache_ttl: withDefault(durationBetween('0s', '1d'), ms(0)),
  /** number: stdout is a number; json: stdout is {"value": N} */
  output_format: withDefault(oneOf(['number', 'json'] as const), 'number' as const),
});

/**
 * `collectors:` — each periodic collector's cadence (src/collectors/registry.ts). Absent:
 * the collector's default (cpu, memory, load, disk_io, network, self every check_interval;
 * sockets 15s; processes 15s; disk 60s). Below 100ms a collector spends a core reading;
 * beyond a day its field is never fresh.
 */
const collectorInterval = timerDuration('100ms', '1d');
const CollectorSettings = struct({ enabled: optional(bool), interval: optional(collectorInterval) });
export const Collectors = struct(
  {
    ...Object.fromEntries(collectorRegistry.map((r) => [r.name, optional(CollectorSettings)])),
    // a part runs when its collector does: only its interval
    ...Object.fromEntries(collectorParts.map((p) => [p.name, optional(struct({ interval: optional(collectorInterval) }))])),
  } as Record<string, OptionalType<typeof CollectorSettings>>,
  'a mapping of collector names to { enabled, interval }',
);

export const FileMonitor = struct({
  max_events_per_path: withDefault(positiveCount, 1000),
  /** events are counted over this window; a zero window counts nothing */
  aggregation_window: withDefault(durationBetween('1s', '1d'), ms(60_000)),
});

// ─── http api, firewall ─────────────────────────────────────────────────────

export const HttpApi = struct({
  enabled: withDefault(bool, false),
  bind: withDefault(bindAddress, '127.0.0.1:8765'),
  /** if set, every endpoint except /health requires `Authorization: Bearer <token>` */
  token: optional(text),
});

export const BanIncrement = struct({
  enabled: withDefault(bool, true),
  /** each repeat offence multiplies the ban by this */
  factor: withDefault(nonNegative, 2),
  /** bans never grow beyond this (same range as a ban) */
  max: withDefault(banDuration, ms(7 * 86_400_000)),
});

/** fail2ban's recidive: an address banned `bans` times within `window` is banned for `ban_duration` (src/firewall/recidive.ts) */
export const Recidive = struct({
  enabled: withDefault(bool, false),
  bans: withDefault(positiveCount, 5),
  /** at most 30d: the ban history kept */
  window: withDefault(durationBetween('1m', formatDuration(MAX_RECIDIVE_WINDOW_MS)), ms(86_400_000)),
  ban_duration: withDefault(banDuration, ms(7 * 86_400_000)),
});

export const Firewall = struct({
  enabled: withDefault(bool, true),
  block_script: withDefault(text, '/etc/panicmode/scripts/block_ip.sh'),
  unblock_script: withDefault(text, '/etc/panicmode/scripts/unblock_ip.sh'),
  restore_on_startup: withDefault(bool, true),
  ctl_socket: withDefault(text, () => defaultCtlSocket()),
  whitelist: withDefault(list(ipOrCidr, 'a list of IP addresses or CIDR blocks'), () => []),
  // extensions
  backend: withDefault(oneOf(['script', 'nftables'] as const), 'script' as const),
  nft_table: withDefault(text, 'panicmode'),
  /** how long a block lasts when the block_ip action gives no duration */
  ban_duration: withDefault(banDuration, ms(3_600_000)),
  ban_increment: withDefault(BanIncrement, () => ({ enabled: true, factor: 2, max: ms(7 * 86_400_000) })),
  recidive: withDefault(Recidive, () => ({ enabled: false, bans: 5, window: ms(86_400_000), ban_duration: ms(7 * 86_400_000) })),
  /** IPv6 offenders are blocked as this prefix (128 = the single address) */
  ipv6_prefix: withDefault(
    new t.Type<number, number, unknown>(
      'a prefix length (1-128)',
      (u): u is number => typeof u === 'number',
      (u, c) => (typeof u === 'number' && Number.isInteger(u) && u >= 1 && u <= 128 ? t.success(u) : t.failure(u, c)),
      (a) => a,
    ),
    64,
  ),
  dry_run: withDefault(bool, false),
});

// ─── extensions: processes, users, websocket, retention ─────────────────────

/**
 * Per-process limits of a supervised service (src/supervision/service-limits.ts): each
 * one set raises an incident with the entry's `actions` while the service is over it.
 */
export const ProcessLimits = struct({
  /** % of one core (a multi-threaded service can pass 100), held for cpu_duration; 1..6400 (64 cores) */
  cpu_percent: optional(wholeNumberBetween(1, 6400)),
  /** how long cpu_percent must hold (on sample times; default 1m); 0s: at the first sample over it */
  cpu_duration: optional(durationBetween('0s', '1d')),
  /** resident memory, MB; 1 MB .. 16 TB */
  memory_mb: optional(wholeNumberBetween(1, 16 * 1024 * 1024)),
  /** open file descriptors (/proc/<pid>/fd); the kernel's nr_open ceiling is 2^20 by default, 2^30 at most */
  open_files: optional(wholeNumberBetween(1, 2 ** 30)),
  /** threads (Threads: in status); the kernel's threads-max is below 2^22 */
  threads: optional(wholeNumberBetween(1, 2 ** 22)),
  /** direct children (task/<tid>/children); pid_max is at most 2^22 */
  children: optional(wholeNumberBetween(1, 2 ** 22)),
});

/**
 * A supervised service (src/supervision/): found by pidfile, cmdline regex or name,
 * restarted when gone (auto_restart) or on the restart_process action, with a restart
 * budget (max_restarts within restart_window, then cooldown) kept in SQLite.
 */
export const SupervisedProcess = struct({
  name: text,
  // how to find it: one of pidfile, cmdline, match (default: match = name)
  /** process name (comm) or command-line substring that identifies it; default: name */
  match: optional(text),
  /** a file holding the service's pid (written by the service) */
  pidfile: optional(text),
  /** a regular expression over the full command line (/proc/<pid>/cmdline, arguments joined by spaces) */
  cmdline: optional(text),
  // how to start it: one of systemd_unit, start_command
  /** systemd unit to restart (`systemctl restart <unit>`) */
  systemd_unit: optional(text),
  /** or a command that starts it (run by /bin/sh -c, in its own process group) */
  start_command: optional(text),
  /** start_command: the user it runs as (name or uid); default PanicMode's */
  user: optional(text),
  /** start_command: its working directory; default / */
  working_dir: optional(text),
  /** start_command: environment added to PanicMode's */
  env: optional(stringMap),
  enabled: withDefault(bool, true),
  /** restart automatically when it is gone (not only when an action asks) */
  auto_restart: withDefault(bool, true),
  /** at most this many restarts within restart_window, then cooldown */
  max_restarts: withDefault(positiveCount, 5),
  /** restarts are counted over this window (on timestamps) */
  restart_window: withDefault(durationBetween('1s', '1d'), ms(60_000)),
  /** after the budget is spent, wait this long (judged at checks); past a day the service is simply off */
  cooldown: withDefault(timerDuration('0s', '1d'), ms(120_000)),
  /** running this long after a start forgets its restarts (and ends a crash loop) */
  stable_after: withDefault(durationBetween('1s', '1d'), ms(60_000)),
  /**
   * a just-started service found by pidfile/cmdline/match is given this long to appear
   * (its launcher may exit first) before it counts as gone; 10m at most
   */
  start_timeout: withDefault(durationBetween('0s', '10m'), ms(10_000)),
  /** restart_process of a running service: SIGTERM to its group, SIGKILL after this (a timer); 10m at most */
  stop_timeout: withDefault(timerDuration('0s', '10m'), ms(10_000)),
  limits: optional(ProcessLimits),
  /** what a limit breach does (alert_* sets its severity; restart_process restarts this service) */
  actions: withDefault(list(text, 'a list of action names'), () => ['alert_warning']),
});

export const UserThresholds = struct({
  cpu_threshold: optional(percent),
  memory_threshold: optional(percent),
});

export const Users = struct({
  enabled: withDefault(bool, true),
  /** a user above these (% of the host) counts as heavy */
  cpu_threshold: withDefault(percent, 80),
  memory_threshold: withDefault(percent, 80),
  /** heavy for this long → persistent user (recorded, alerted); on timestamps, a week at most */
  persistent_time: withDefault(durationBetween('1m', '7d'), ms(3_600_000)),
  min_uid: withDefault(count, 1000),
  ignore_system_users: withDefault(bool, true),
  min_cpu_percent: withDefault(percent, 5),
  min_memory_percent: withDefault(percent, 5),
  excluded_users: withDefault(list(text, 'a list of user names'), () => []),
  /** per-user overrides */
  thresholds: withDefault(dict(UserThresholds, 'a mapping of user names to thresholds'), () => ({})),
});

export const WebSocket = struct({
  enabled: withDefault(bool, false),
  /** served on http_api.bind */
  path: withDefault(text, '/ws'),
  /** if set, clients must send it (`?token=` or `Authorization: Bearer`) */
  secret: optional(text),
  max_clients: withDefault(positiveCount, 16),
});

/**
 * How long rows are kept (compared with row times in SQL). Less than an hour deletes
 * what an operator is still reading; ten years is "keep everything".
 */
const keptFor = durationBetween('1h', '3650d');

export const Retention = struct({
  incidents: withDefault(keptFor, ms(30 * 86_400_000)),
  action_runs: withDefault(keptFor, ms(30 * 86_400_000)),
  system_metrics: withDefault(keptFor, ms(7 * 86_400_000)),
  user_metrics: withDefault(keptFor, ms(7 * 86_400_000)),
  /** how often old rows are deleted: an interval timer (0s was a busy loop) */
  cleanup_interval: withDefault(timerDuration('1m', '1d'), ms(3_600_000)),
});

// ─── the whole config ───────────────────────────────────────────────────────

const defaults = <C extends t.Mixed>(codec: C) => withDefault(codec, () => (codec.validate({}, [{ key: '', type: codec, actual: {} }]) as t.Validation<t.TypeOf<C>> & { _tag: 'Right' }).right);

export const ConfigCodec = struct(
  {
    performance: defaults(Performance),
    monitors: withDefault(list(Monitor, 'a list of monitors'), () => []),
    actions: withDefault(dict(ActionDefinition, 'a mapping of action names to definitions'), () => ({})),
    anomaly: defaults(Anomaly),
    alerts: defaults(Alerts),
    integrations: defaults(Integrations),
    circuit_breakers: defaults(CircuitBreakers),
    storage: defaults(Storage),
    custom_metrics: withDefault(dict(CustomMetric, 'a mapping of metric names to commands'), () => ({})),
    collectors: defaults(Collectors),
    file_monitor: defaults(FileMonitor),
    http_api: defaults(HttpApi),
    firewall: defaults(Firewall),
    processes: withDefault(list(SupervisedProcess, 'a list of supervised processes'), () => []),
    /** process names no process action ever stops or kills (besides the built-in protections: spare.ts) */
    process_whitelist: withDefault(list(text, 'a list of process names'), () => []),
    /** per-user tracking is not built yet: the section is checked, and warned about at start (key-effects.ts) */
    users: optional(Users),
    websocket: defaults(WebSocket),
    retention: defaults(Retention),
    /** protective actions are logged, not executed (the embedded default sets it) */
    dry_run: withDefault(bool, false),
    /** rule packs whose monitors join `monitors:` (rules/*.yaml; relative to the config file; see rule-packs.ts) */
    rules: withDefault(list(text, 'a list of rule pack files'), () => []),
  },
  'a mapping of config sections',
);

/** The decoded config: every default applied, durations in milliseconds. */
export type Config = t.TypeOf<typeof ConfigCodec>;
export type PerformanceConfig = Config['performance'];
export type MonitorConfig = t.TypeOf<typeof Monitor>;
export type ActionDefinitionConfig = t.TypeOf<typeof ActionDefinition>;
export type AnomalyConfig = Config['anomaly'];
export type ForkBombConfig = AnomalyConfig['fork_bomb'];
export type AlertsConfig = Config['alerts'];
export type AlertRouteConfig = t.TypeOf<typeof AlertRoute>;
export type ContactConfig = t.TypeOf<typeof Contact>;
export type IntegrationsConfig = Config['integrations'];
export type CircuitBreakersConfig = Config['circuit_breakers'];
export type StorageConfig = Config['storage'];
export type CustomMetricConfig = t.TypeOf<typeof CustomMetric>;
export type CollectorsConfig = Config['collectors'];
export type FileMonitorConfig = Config['file_monitor'];
export type HttpApiConfig = Config['http_api'];
export type FirewallConfig = Config['firewall'];
export type SupervisedProcessConfig = t.TypeOf<typeof SupervisedProcess>;
export type ProcessLimitsConfig = t.TypeOf<typeof ProcessLimits>;
export type UsersConfig = Config['users'];
export type WebSocketConfig = Config['websocket'];
export type RetentionConfig = Config['retention'];
export type AuthLogConfig = t.TypeOf<typeof AuthLog>;
