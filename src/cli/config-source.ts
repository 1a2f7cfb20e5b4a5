/**
 * Where a command's config comes from: `--config FILE`, else $PANICMODE_CONFIG, else
 * the embedded default. The one place that rule lives.
 */
import { loadConfigFile, defaultConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';

export const configPathFrom = (explicit?: string): string | null =>
  explicit ?? (process.env.PANICMODE_CONFIG && process.env.PANICMODE_CONFIG.length > 0 ? process.env.PANICMODE_CONFIG : null);

export const loadConfigForCli = async (explicit?: string): Promise<Config> => {
  const path = configPathFrom(explicit);
  return path ? loadConfigFile(path) : defaultConfig();
};
