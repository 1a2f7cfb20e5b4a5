/**
 * The embedded default config, used when no config file is given: host pressure and
 * SSH brute-force rules, console alerts, SQLite under the state directory, and
 * protective actions in dry-run (logged, not executed) until a real config enables
 * them. Kept as YAML text (the build copies only .ts files) and decoded through the
 * same codec as a user's file, so it is validated too.
 */
import { availableParallelism } from 'node:os';

/** The default config's YAML; the load-average threshold scales with the CPU count. */
export const defaultConfigYaml = (cpus: number = availableParallelism()): string => `
# PanicMode embedded default. Protective actions only log what they would do.
dry_run: true

performance:
  check_interval: 5s
  # A Node.js agent idles at ~70 MB RSS (the Rust PanicMode's 50 MB default would
  # make the self-check fire on its own baseline).
  memory_limit_mb: 120

monitors:
  - name: CPU saturated
    type: cpu_usage
    threshold: 90
    duration: 30s
    actions: [snapshot, alert_critical]

  - name: CPU high
    type: cpu_usage
    threshold: 80
    duration: 2m
    actions: [alert_warning]

  - name: Memory exhausted
    type: memory_usage
    threshold: 95
    duration: 30s
    actions: [freeze_top_process, snapshot, alert_critical]

  - name: Memory high
    type: memory_usage
    threshold: 85
    duration: 1m
    actions: [alert_warning]

  - name: Swap high
    type: swap_usage
    threshold: 80
    duration: 1m
    actions: [alert_warning]

  - name: Root disk almost full
    type: disk_usage
    threshold: 90
    paths: ["/"]
    actions: [alert_warning]

  - name: Root disk full
    type: disk_usage
    threshold: 97
    paths: ["/"]
    actions: [alert_critical]

  - name: Load high
    type: load_average
    threshold: ${Math.max(2, cpus * 2)}
    duration: 1m
    actions: [alert_warning]

  - name: SSH brute force
    type: auth_failures
    threshold: 5
    window: 60s
    actions: [block_ip, alert_critical]

alerts:
  critical:
    - channel: console
  warning:
    - channel: console
  info:
    - channel: console

integrations:
  console:
    enabled: true
`;
