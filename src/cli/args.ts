/**
 * A small argv parser: `--flag`, `--key value`, `--key=value`, positionals. Every
 * command declares its options so an unknown or incomplete one is a usage error
 * (exit 2) naming the option, never ignored.
 */
import { UsageError } from '../errors.js';

export interface OptionSpec {
  /** takes a value (`--since 1h`) or is a boolean flag (`--json`) */
  value: boolean;
  /** environment variable used when the option is absent */
  env?: string;
}

export interface ParsedArgs {
  options: Record<string, string | boolean | undefined>;
  positionals: string[];
}

export const parseArgs = (argv: string[], spec: Record<string, OptionSpec>, command: string): ParsedArgs => {
  const options: Record<string, string | boolean | undefined> = {};
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--') || arg === '--') {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    const s = spec[name];
    if (!s) throw new UsageError(`unknown option --${name} (see 'panicmode ${command} --help')`);
    if (!s.value) {
      if (eq !== -1) throw new UsageError(`--${name} takes no value`);
      options[name] = true;
      continue;
    }
    const value = eq !== -1 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined || value === '') throw new UsageError(`--${name} needs a value`);
    options[name] = value;
  }
  for (const [name, s] of Object.entries(spec)) {
    if (options[name] === undefined && s.env && process.env[s.env]) options[name] = process.env[s.env];
  }
  return { options, positionals };
};
