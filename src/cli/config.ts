/**
 * `panicmode config show`: the effective config (every default applied, secret
 * references resolved) with secrets redacted, as YAML (durations as "5s") or JSON
 * (durations in milliseconds, as the agent sees them).
 */
import { stringify } from 'yaml';
import type { Command } from './command.js';
import { parseArgs } from './args.js';
import { ExitCode, UsageError } from '../errors.js';
import { maskSecrets } from '../log/logger.js';
import { defaultConfig, loadConfigFile } from '../config/load.js';
import { resolveConfigPath } from '../config/config-path.js';
import { redactConfig } from '../config/redact-config.js';
import { ConfigCodec } from '../config/schema.js';

const help = `Usage: panicmode config show [--config FILE] [--json]

Prints the effective config: the file (or the embedded default when there is none)
with every default filled in and secrets shown as "***".

Options:
  --config FILE   the config (also $PANICMODE_CONFIG); default: the embedded default
  --json          JSON, durations in milliseconds (default: YAML, durations as "5s")
`;

export const command: Command = {
  name: 'config',
  summary: 'config tools: `config show` prints the effective config, secrets redacted',
  help,
  run: async (argv) => {
    const [sub, ...rest] = argv;
    if (sub !== 'show') throw new UsageError(sub ? `config: unknown subcommand '${sub}' (expected: show)` : 'config: expected a subcommand: show');
    const { options, positionals } = parseArgs(rest, { config: { value: true }, json: { value: false } }, 'config show');
    if (positionals.length > 0) throw new UsageError(`config show: unexpected argument '${positionals[0]}' (did you mean --config ${positionals[0]}?)`);
    const path = resolveConfigPath({ config: options.config });
    const config = path ? await loadConfigFile(path) : defaultConfig();
    const shown = redactConfig(config);
    const out = options.json ? JSON.stringify(shown, null, 2) + '\n' : stringify(ConfigCodec.encode(shown), { lineWidth: 0 });
    // Belt and braces: anything registered as a secret is masked even if a field was missed.
    process.stdout.write(maskSecrets(out));
    return ExitCode.ok;
  },
};
