/**
 * Where a command's config comes from: `--config FILE`, else $PANICMODE_CONFIG, else
 * the embedded default.
 */
import { loadConfigFile, defaultConfig, resolveConfigPath } from '../config/load.js';
import type { Config } from '../config/schema.js';

export const configPathFrom = (explicit?: string): string | null => resolveConfigPath({ config: explicit });

export const loadConfigForCli = async (explicit?: string): Promise<Config> => {
  const path = configPathFrom(explicit);
  return path ? loadConfigFile(path) : defaultConfig();
};
