/**
 * The embedded default config, used when no config file is given: the shipped rule
 * packs (rules/host-pressure.yaml and rules/ssh.yaml, each proven by its .test.yaml),
 * console alerts, SQLite under the state directory, and protective actions in dry-run
 * (logged, not executed) until a real config enables them. Kept as YAML text and
 * decoded through the same codec as a user's file, so it is validated too; its rules
 * are the packs themselves, so what runs by default is what `panicmode test rules/`
 * tests.
 */
import { availableParallelism } from 'node:os';
import type { Config } from './schema.js';

/** The default config's YAML; `rules:` paths are relative to the shipped rules/ directory. */
export const defaultConfigYaml = (): string => `
# PanicMode embedded default. Protective actions only log what they would do.
dry_run: true

performance:
  check_interval: 5s
  # A Node.js agent idles at ~70 MB RSS (the Rust PanicMode's 50 MB default would
  # make the self-check fire on its own baseline).
  memory_limit_mb: 120

rules: [host-pressure.yaml, ssh.yaml]

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

/** The host-pressure pack's load rule, whose threshold is written per CPU. */
export const PER_CPU_LOAD_RULE = 'Load high';

/**
 * The one difference between the packs and what the default runs: the load rule's
 * threshold is per CPU in the pack (tested as written, for one CPU) and multiplied by
 * this machine's CPU count here, so a 32-core host is not "loaded" at 2.
 */
export const scaleLoadThresholds = (config: Config, cpus: number = availableParallelism()): Config => ({
  ...config,
  monitors: config.monitors.map((m) => (m.type === 'load_average' && m.name === PER_CPU_LOAD_RULE ? { ...m, threshold: m.threshold * cpus } : m)),
});
