/**
 * Loading a config: YAML text → secrets resolved → shape decoded (defaults applied,
 * unknown keys rejected) → cross-field checks → environment overrides. Every problem
 * is collected and thrown together as one ConfigError naming each place.
 */
import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { ConfigError } from '../errors.js';
import { ConfigCodec, type Config } from './schema.js';
import { formatErrors } from './error-paths.js';
import { crossCheck } from './cross-checks.js';
import { resolveSecrets } from './secrets.js';
import { markSecretPaths } from './redact-config.js';
import { defaultConfigYaml } from './default-config.js';

export { resolveConfigPath } from './config-path.js';

/** Parses YAML; syntax errors become `line:col: message` problems. */
export const parseYaml = (text: string): { value: unknown; problems: string[] } => {
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((e) => {
      const pos = e.linePos?.[0];
      const msg = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
      return pos ? `${pos.line}:${pos.col}: ${msg}` : msg;
    });
    return { value: undefined, problems };
  }
  return { value: doc.toJS({ maxAliasCount: 100 }), problems: [] };
};

/** Decodes an already parsed and secret-resolved tree: shape, then cross-field rules. */
export const decodeConfig = (raw: unknown): { config?: Config; problems: string[] } => {
  // An empty file is an empty config: every default applies.
  const r = ConfigCodec.decode(raw === null || raw === undefined ? {} : raw);
  if (r._tag === 'Left') return { problems: formatErrors(r.left) };
  const { config, problems } = crossCheck(r.right);
  return { config: applyEnvOverrides(config), problems };
};

/** Environment overrides the reference documents (block/unblock scripts). */
const applyEnvOverrides = (config: Config, env: NodeJS.ProcessEnv = process.env): Config => {
  const block = env.PANICMODE_BLOCK_IP_SCRIPT;
  const unblock = env.PANICMODE_UNBLOCK_IP_SCRIPT;
  if (!block && !unblock) return config;
  return {
    ...config,
    firewall: { ...config.firewall, block_script: block || config.firewall.block_script, unblock_script: unblock || config.firewall.unblock_script },
  };
};

/**
 * Loads a config from YAML text. `source` (a file name) prefixes the error message.
 * Throws ConfigError with every problem at once.
 */
export const loadConfigText = async (text: string, source = '<config>'): Promise<Config> => {
  const parsed = parseYaml(text);
  if (parsed.problems.length > 0) throw new ConfigError(parsed.problems, { source });
  const secrets = await resolveSecrets(parsed.value);
  const { config, problems } = decodeConfig(secrets.value);
  const all = [...secrets.problems, ...problems];
  if (all.length > 0 || !config) throw new ConfigError(all, { source });
  markSecretPaths(config, secrets.secretPaths);
  return config;
};

/** Loads and validates a config file. Throws ConfigError (unreadable file included). */
export const loadConfigFile = async (path: string): Promise<Config> => {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError([code === 'ENOENT' ? 'no such file' : `cannot read it (${code ?? (err as Error).message})`], { source: path, cause: err });
  }
  return loadConfigText(text, path);
};

/**
 * The embedded default (see default-config.ts), decoded through the same codec. Its
 * paths follow $PANICMODE_STATE_DIR at the time of the call.
 */
export const defaultConfig = (): Config => {
  const parsed = parseYaml(defaultConfigYaml());
  const { config, problems } = decodeConfig(parsed.value);
  // A broken embedded default is a bug of ours, not the operator's: fail loudly.
  if (parsed.problems.length > 0 || problems.length > 0 || !config) throw new ConfigError([...parsed.problems, ...problems], { source: '<embedded default>' });
  return config;
};
