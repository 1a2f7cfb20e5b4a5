/**
 * `panicmode <command>`: dispatches to one module per command, loaded on demand so
 * `panicmode ctl list` does not pay for the agent's imports.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import type { Command } from './command.js';
import { ExitCode, PanicModeError, UsageError, ConfigError } from '../errors.js';
import { maskSecrets } from '../log/logger.js';

const commands: Record<string, { summary: string; load: () => Promise<{ command: Command }> }> = {
  run: { summary: 'run the agent (default config embedded; --config FILE)', load: () => import('./run.js') },
  'check-config': { summary: 'validate a config file and print every problem', load: () => import('./check-config.js') },
  incidents: { summary: 'list recorded incidents (--since 1h, --json)', load: () => import('./incidents.js') },
  ctl: { summary: 'talk to a running agent: list, ban, unblock IPs; list and thaw frozen processes', load: () => import('./ctl.js') },
  test: { summary: 'run rule tests (*.test.yaml) in virtual time: detection, actions, bans, alerts', load: () => import('./test.js') },
  replay: { summary: 'run brute-force detection offline over a log file (any filter)', load: () => import('./replay.js') },
  alert: { summary: 'alert tools: `alert test` sends a test alert per channel', load: () => import('./alert.js') },
  exec: { summary: 'run a job under hard limits (--timeout, --cpu, --memory, --max-procs, --snapshot DIR)', load: () => import('./exec.js') },
  config: { summary: 'config tools: `config show` prints the effective config, secrets redacted', load: () => import('./config.js') },
};

const findPackageJson = (): { version: string } => {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    try {
      return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    } catch {
      dir = dirname(dir);
    }
  }
  return { version: 'unknown' };
};

const usage = (): string =>
  [
    'panicmode — host monitoring and self-defence agent',
    '',
    'Usage: panicmode <command> [options]',
    '',
    'Commands:',
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(14)} ${c.summary}`),
    '',
    'Options:',
    '  --help, -h     show help (also after any command)',
    '  --version, -V  print the version',
    '',
    'Exit codes: 0 ok, 1 runtime failure, 2 usage or config error.',
  ].join('\n');

export const main = async (argv: string[]): Promise<number> => {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage() + '\n');
    return name ? ExitCode.ok : ExitCode.usage;
  }
  if (name === '--version' || name === '-V') {
    process.stdout.write(`panicmode ${findPackageJson().version}\n`);
    return ExitCode.ok;
  }
  const entry = commands[name];
  if (!entry) {
    process.stderr.write(`panicmode: unknown command '${name}'\n\n${usage()}\n`);
    return ExitCode.usage;
  }
  const { command } = await entry.load();
  // After `--` the words are another program's (`panicmode exec -- grep -h x`).
  const own = rest.includes('--') ? rest.slice(0, rest.indexOf('--')) : rest;
  if (own.includes('--help') || own.includes('-h')) {
    process.stdout.write(command.help.trimEnd() + '\n');
    return ExitCode.ok;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    if (err instanceof ConfigError || err instanceof UsageError) {
      // Sub-commands name themselves ("ctl ban: ..."); others get the command prepended.
      const where = err.message.startsWith(`${name} `) || err.message.startsWith(`${name}:`) ? 'panicmode ' : `panicmode ${name}: `;
      process.stderr.write(maskSecrets(`${where}${err.message}`) + '\n');
      return ExitCode.usage;
    }
    const msg = err instanceof PanicModeError ? `${err.message} [${err.code}]` : (err as Error)?.stack ?? String(err);
    process.stderr.write(maskSecrets(`panicmode ${name}: ${msg}`) + '\n');
    return ExitCode.runtime;
  }
};
