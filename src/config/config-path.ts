/**
 * Which config file a command uses: `--config FILE`, else `$PANICMODE_CONFIG`, else
 * null (the embedded default).
 */

/** `--config` value if given, else $PANICMODE_CONFIG if non-empty, else null. */
export const resolveConfigPath = (options: { config?: string | boolean | undefined }, env: NodeJS.ProcessEnv = process.env): string | null => {
  if (typeof options.config === 'string' && options.config.length > 0) return options.config;
  return env.PANICMODE_CONFIG && env.PANICMODE_CONFIG.length > 0 ? env.PANICMODE_CONFIG : null;
};
