/**
 * Loading a config: YAML text → secrets resolved → shape decoded (defaults applied,
 * unknown keys rejected) → cross-field checks → environment overrides. Every problem
 * is collected and thrown together as one ConfigError naming each place.
 */
import type { Validation } from 'io-ts';
import { fold, isLeft, isRight } from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { ConfigError } from '../errors.js';
import { ConfigCodec, Monitor, type Config } from './schema.js';
import { formatErrors } from './error-paths.js';
import { actionNameProblems, crossCheck, type PartialInput } from './cross-checks.js';
import { isPlainObject, list } from './struct.js';
import { text } from './scalars.js';
import { resolveSecrets, type SecretMode } from './secrets.js';
import { markSecretPaths } from './redact-config.js';
import { defaultConfigYaml, scaleLoadThresholds } from './default-config.js';
import { includeRulePacks } from './rule-packs.js';
import { shippedRulesDir } from './shipped-rules-dir.js';
import { dirname } from 'node:path';

import { parseYaml } from './parse-yaml.js';
import { readConfigFile } from './read-config-file.js';

export { resolveConfigPath } from './config-path.js';
export { parseYaml } from './parse-yaml.js';

/** Decodes an already parsed and secret-resolved tree: shape, then cross-field rules. */
export const decodeConfig = (raw: unknown): { config?: Config; problems: string[] } => {
  // An empty file is an empty config: every default applies.
  const tree = raw === null || raw === undefined ? {} : raw;
  return pipe(
    ConfigCodec.decode(tree),
    fold(
      (errors) => {
        // Report the cross-field problems of what did decode too: all problems at once.
        const partial = partialDecode(tree);
        const cross = partial ? [...crossCheck(partial.config, partial).problems, ...partial.extra] : [];
        return { problems: [...formatErrors(errors), ...cross] };
      },
      (decoded) => {
        const { config, problems } = crossCheck(decoded);
        return { config: applyEnvOverrides(config), problems };
      },
    ),
  );
};

/**
 * Best-effort decode of an invalid tree: each section alone, failed sections replaced
 * by their defaults (and marked untrusted), monitors one by one keeping the good ones.
 */
const partialDecode = (tree: unknown): ({ config: Config; extra: string[] } & PartialInput) | undefined => {
  if (!isPlainObject(tree)) return undefined;
  const untrusted = new Set<string>();
  const out: Record<string, unknown> = {};
  let monitorIndex: number[] = [];
  for (const [key, codec] of Object.entries(ConfigCodec.props)) {
    const r: Validation<unknown> = codec.decode(tree[key]);
    if (isRight(r)) {
      out[key] = r.right;
      if (key === 'monitors') monitorIndex = (r.right as unknown[]).map((_, i) => i);
      continue;
    }
    untrusted.add(key);
    if (key === 'monitors' && Array.isArray(tree[key])) {
      const good: unknown[] = [];
      (tree[key] as unknown[]).forEach((m, i) => {
        const one = Monitor.decode(m);
        if (isRight(one)) {
          good.push(one.right);
          monitorIndex.push(i);
        }
      });
      out[key] = good;
    } else {
      const fallback = codec.decode(undefined);
      if (isLeft(fallback)) return undefined;
      out[key] = fallback.right;
    }
  }
  // Monitors that failed their shape still get their action names checked.
  const extra: string[] = [];
  if (!untrusted.has('actions') && Array.isArray(tree.monitors)) {
    (tree.monitors as unknown[]).forEach((m, i) => {
      if (monitorIndex.includes(i) || !isPlainObject(m)) return;
      const names = list(text).decode(m.actions);
      if (isRight(names)) extra.push(...actionNameProblems(`monitors[${i}]`, names.right, out.actions as Record<string, unknown>));
    });
  }
  return { config: out as Config, monitorIndex, untrusted, extra };
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

export interface LoadOptions {
  /** `resolve` (default) reads every secret reference; `check` only checks their form */
  secrets?: SecretMode;
  /** where `rules:` paths are relative to (default: the file's directory, else the working directory) */
  baseDir?: string;
  /** more rule packs to include (`run --rules`), relative to the working directory */
  rules?: readonly string[];
}

/**
 * Loads a config from YAML text. `source` (a file name) prefixes the error message.
 * Throws ConfigError with every problem at once.
 */
export const loadConfigText = async (text: string, source = '<config>', options: LoadOptions = {}): Promise<Config> => {
  const parsed = parseYaml(text);
  if (parsed.problems.length > 0) throw new ConfigError(parsed.problems, { source });
  const secrets = await resolveSecrets(parsed.value, options.secrets ?? 'resolve');
  const packs = includeRulePacks(secrets.value, options.baseDir ?? process.cwd(), options.rules);
  const { config, problems } = decodeConfig(packs.tree);
  const all = [...secrets.problems, ...packs.problems, ...problems];
  if (all.length > 0 || !config) throw new ConfigError(all, { source });
  markSecretPaths(config, secrets.secretPaths);
  return config;
};

/** Loads and validates a config file. Throws ConfigError (unreadable or oversized file included). */
export const loadConfigFile = async (path: string, options: LoadOptions = {}): Promise<Config> =>
  loadConfigText(await readConfigFile(path), path, { baseDir: dirname(path), ...options });

/**
 * The embedded default (see default-config.ts), decoded through the same codec. Its
 * paths follow $PANICMODE_STATE_DIR at the time of the call.
 */
export const defaultConfig = (rules: readonly string[] = []): Config => {
  const parsed = parseYaml(defaultConfigYaml());
  const packs = includeRulePacks(parsed.value, shippedRulesDir, rules);
  const { config, problems } = decodeConfig(packs.tree);
  // A broken embedded default is a bug of ours (or of a --rules pack): fail loudly.
  const all = [...parsed.problems, ...packs.problems, ...problems];
  if (all.length > 0 || !config) throw new ConfigError(all, { source: '<embedded default>' });
  return scaleLoadThresholds(config);
};
