/**
 * Filter files: a shipped filter by name (`rules/filters/<name>.yaml`) or a user's own
 * file by path, read once, decoded and compiled per mode (cached: every parser of a
 * process shares one compiled filter).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { ConfigError } from '../../errors.js';
import { decodeFilterDefinition, type FilterDefinition } from './filter-definition.js';
import { compileFilter, type CompiledFilter } from './compile-filter.js';

/** Where the shipped filters live (the package's rules/filters). */
export const shippedFiltersDir = fileURLToPath(new URL('../../../rules/filters/', import.meta.url));

/** A filter name (`sshd`) → its shipped file; anything with a `/` or `.yaml` → that path. */
export const filterPath = (nameOrPath: string): string =>
  /[/\\]/.test(nameOrPath) || /\.ya?ml$/.test(nameOrPath) ? nameOrPath : `${shippedFiltersDir}${nameOrPath}.yaml`;

const definitions = new Map<string, FilterDefinition>();
const compiled = new Map<string, CompiledFilter>();

/** Reads and decodes a filter file. Throws ConfigError (bad file) naming the path. */
export const loadFilterDefinition = (nameOrPath: string): FilterDefinition => {
  const path = filterPath(nameOrPath);
  let def = definitions.get(path);
  if (def) return def;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError([code === 'ENOENT' ? `no such filter file (shipped filters: rules/filters/*.yaml)` : (err as Error).message], { source: path, cause: err });
  }
  let raw: unknown;
  try {
    raw = parse(text, { maxAliasCount: 0 });
  } catch (err) {
    throw new ConfigError([`not valid YAML: ${(err as Error).message}`], { source: path, cause: err });
  }
  def = decodeFilterDefinition(raw, path);
  definitions.set(path, def);
  return def;
};

/** A filter compiled for a mode (default: the filter's default mode). */
export const loadFilter = (nameOrPath: string, mode?: string): CompiledFilter => {
  const def = loadFilterDefinition(nameOrPath);
  const m = mode ?? def.default_mode;
  const key = `${filterPath(nameOrPath)}\0${m}`;
  let c = compiled.get(key);
  if (!c) {
    c = compileFilter(def, m, filterPath(nameOrPath));
    compiled.set(key, c);
  }
  return c;
};
