/**
 * `panicmode check-config [FILE]`: validates a config the way `run` would load it and
 * prints every problem at once (exit 2), or a one-line summary (exit 0).
 */
import type { Command } from './command.js';
import { parseArgs } from './args.js';
import { ConfigError, ExitCode } from '../errors.js';
import { maskSecrets } from '../log/logger.js';
import { defaultConfig, loadConfigFile } from '../config/load.js';
import { resolveConfigPath } from '../config/config-path.js';
import { loadMassFreezePolicyFile, unknownClusterProblems } from '../config/mass-freeze.js';
import type { Config } from '../config/schema.js';
import { inertKeyWarnings } from '../config/key-effects.js';

const help = `Usage: panicmode check-config [FILE] [--mass-freeze POLICY] [--resolve-secrets]

Validates a PanicMode config: YAML syntax (at most 1 MiB, bounded nesting and
aliases), every key and value (unknown keys are errors, with a "did you mean"),
durations within each key's range, URLs, whitelist addresses (read as the firewall
reads them), the form of secret references (\${env:}, \${file:}, \${vault:}; any
other scheme is an error), and cross-field rules (actions exist, custom monitors
resolve to a custom metric, alert channels have their integration).
Every problem is printed, each naming its place, e.g.
  monitors[2].threshold: expected a number, got "high"

Arguments:
  FILE                  the config to check; default --config / $PANICMODE_CONFIG,
                        else the embedded default
Options:
  --config FILE         same as FILE
  --mass-freeze POLICY  also check a mass-freeze policy file (mass_freeze.yaml) and
                        that every mass_freeze_cluster:<name> names one of its clusters
  --resolve-secrets     also resolve every secret reference (read the environment
                        variables and files, ask Vault), as \`run\` does; without it
                        the check needs no secrets (fit for CI)

Exit codes: 0 valid, 2 invalid (or usage error).
`;

/** One line describing what a valid config sets up. */
export const summarize = (config: Config): string => {
  const enabled = config.monitors.filter((m) => m.enabled).length;
  const routes = (['critical', 'warning', 'info'] as const).reduce((n, s) => n + config.alerts[s].length, 0);
  const channels = [...new Set((['critical', 'warning', 'info', 'emergency'] as const).flatMap((s) => (config.alerts[s] ?? []).map((r) => r.channel)))];
  return [
    `${config.monitors.length} monitors (${enabled} enabled)`,
    `${Object.keys(config.actions).length} named actions`,
    `${routes} alert routes${channels.length ? ` (${channels.join(', ')})` : ''}`,
    `${Object.keys(config.custom_metrics).length} custom metrics`,
    `firewall ${config.firewall.enabled ? config.firewall.backend : 'off'}`,
    config.dry_run ? 'dry-run' : 'actions live',
  ].join(', ');
};

export const command: Command = {
  name: 'check-config',
  summary: 'validate a config file and print every problem',
  help,
  run: async (argv) => {
    const { options, positionals } = parseArgs(
      argv,
      { config: { value: true }, 'mass-freeze': { value: true }, 'resolve-secrets': { value: false } },
      'check-config',
    );
    if (positionals.length > 1) {
      process.stderr.write(`panicmode check-config: one FILE at a time (got ${positionals.length})\n`);
      return ExitCode.usage;
    }
    const path = positionals[0] ?? resolveConfigPath({ config: options.config });
    const label = path ?? '<embedded default>';
    try {
      const config = path ? await loadConfigFile(path, { secrets: options['resolve-secrets'] ? 'resolve' : 'check' }) : defaultConfig();
      const policyPath = options['mass-freeze'];
      if (typeof policyPath === 'string') {
        const policy = await loadMassFreezePolicyFile(policyPath);
        const problems = unknownClusterProblems(config.monitors, policy);
        if (problems.length > 0) throw new ConfigError(problems, { source: path ?? label });
      }
      process.stdout.write(`OK: ${label}: ${summarize(config)}\n`);
      for (const warning of inertKeyWarnings(config)) process.stderr.write(`warning: ${warning}\n`);
      return ExitCode.ok;
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      const n = err.problems.length;
      const head = err.message.split('\n')[0]!.replace(/invalid config:$/, `invalid config (${n} problem${n === 1 ? '' : 's'}):`);
      process.stderr.write(maskSecrets([head, ...err.problems.map((p) => `  ${p}`)].join('\n')) + '\n');
      return ExitCode.usage;
    }
  },
};
