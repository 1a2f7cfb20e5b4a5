/**
 * Where a command's config comes from: `--config FILE`, else $PANICMODE_CONFIG, else
 * the embedded default.
 */
import { loadConfigFile, defaultConfig, resolveConfigPath } from '../config/load.js';
import type { Config } from '../config/schema.js';

export const configPathFrom = (explicit?: string): string | null => resolveConfigPath({ config: explicit });

/** `rules`: rule packs added to the config's own (`run --rules`), relative to the working directory. */
export const loadConfigForCli = async (explicit?: string, rules: readonly string[] = []): Promise<Config> => {
  const path = configPathFrom(explicit);
  return path ? loadConfigFile(path, { rules }) : defaultConfig(rules);
};
