/**
 * Filter files: a shipped filter by name (`rules/filters/<name>.yaml`) or a user's own
 * file by path, decoded and compiled per mode (cached: every parser of a process
 * shares one compiled filter; a file changed since — an edited user filter before a
 * config reload — is read again).
 */
import { readFileSync, statSync } from 'node:fs';
import { shippedRulesDir } from '../../config/shipped-rules-dir.js';
import { parse } from 'yaml';
import { ConfigError } from '../../errors.js';
import { decodeFilterDefinition, type FilterDefinition } from './filter-definition.js';
import { compileFilter, type CompiledFilter } from './compile-filter.js';

/** Where the shipped filters live (the package's rules/filters, in the sources and in the build). */
export const shippedFiltersDir = `${shippedRulesDir}filters/`;

/** A filter name (`sshd`) → its shipped file; anything with a `/` or `.yaml` → that path. */
export const filterPath = (nameOrPath: string): string =>
  /[/\\]/.test(nameOrPath) || /\.ya?ml$/.test(nameOrPath) ? nameOrPath : `${shippedFiltersDir}${nameOrPath}.yaml`;

const definitions = new Map<string, { def: FilterDefinition; stamp: string }>();
const compiled = new Map<string, { filter: CompiledFilter; def: FilterDefinition }>();

/** What tells a changed file (size and modification time), '' when it cannot be read. */
const stampOf = (path: string): string => {
  try {
    const st = statSync(path);
    return `${st.size}:${st.mtimeMs}`;
  } catch {
    return '';
  }
};

/** Reads and decodes a filter file. Throws ConfigError (bad file) naming the path. */
export const loadFilterDefinition = (nameOrPath: string): FilterDefinition => {
  const path = filterPath(nameOrPath);
  const stamp = stampOf(path);
  const cached = definitions.get(path);
  if (cached && cached.stamp === stamp && stamp !== '') return cached.def;
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
  const def = decodeFilterDefinition(raw, path);
  definitions.set(path, { def, stamp });
  return def;
};

/** A filter compiled for a mode (default: the filter's default mode). */
export const loadFilter = (nameOrPath: string, mode?: string): CompiledFilter => {
  const def = loadFilterDefinition(nameOrPath);
  const m = mode ?? def.default_mode;
  const key = `${filterPath(nameOrPath)}\0${m}`;
  const c = compiled.get(key);
  if (c && c.def === def) return c.filter;
  const filter = compileFilter(def, m, filterPath(nameOrPath));
  compiled.set(key, { filter, def });
  return filter;
};
