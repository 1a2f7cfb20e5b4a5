/**
 * A filter definition compiled for one mode: the patterns active in that mode, in
 * file order, dispatched on the message's first character (then each pattern's
 * literal prefix) so most lines never reach a regex. Service-agnostic: everything a
 * service logs lives in its filter file.
 */
import { ConfigError } from '../../errors.js';
import { compilePattern, expandPlaceholders, lineBound, type CompiledPattern } from '../compiled-pattern.js';
import { effectIn, type FilterDefinition } from './filter-definition.js';

export interface CompiledFilter {
  definition: FilterDefinition;
  mode: string;
  /** patterns per first char code of the message (wildcard patterns included, in order) */
  dispatch: (CompiledPattern[] | undefined)[];
  /** patterns that can start with any character (for codes without an entry) */
  anyStart: CompiledPattern[];
  /** every pattern active in this mode */
  patterns: CompiledPattern[];
  /** checked on a matched message: any hit, the line is no failure */
  ignore: RegExp[];
  /** literal message prefixes removed before matching */
  stripPrefixes: string[];
  /** per char code: whether a strip prefix starts with it (most messages need no startsWith) */
  stripFirst: boolean[];
  /** program names accepted (empty, and no programRegex: any) */
  programs: string[];
  /** the whole program tag matches this (null: none) */
  programRegex: RegExp | null;
  /** skipped at the message start, after stripPrefixes (null: none); sticky */
  prefixRegex: RegExp | null;
  /** lines have no program tag (`format: plain`) */
  plain: boolean;
}

/** Compiles `definition` for `mode` (default: its default_mode). Throws ConfigError naming the pattern. */
export const compileFilter = (definition: FilterDefinition, mode = definition.default_mode, source = definition.name): CompiledFilter => {
  if (!definition.modes.includes(mode)) throw new ConfigError([`mode: "${mode}" is not a mode of filter ${definition.name} (${definition.modes.join(', ')})`], { source });
  const problems: string[] = [];
  const patterns: CompiledPattern[] = [];
  definition.patterns.forEach((p, i) => {
    const effect = effectIn(p, mode);
    try {
      // compiled in every mode, so a broken pattern is found whatever mode is asked for
      for (const m of definition.modes) {
        const e = effectIn(p, m);
        if (e !== undefined && m !== mode) compilePattern(p, i, e, definition.define);
      }
      if (effect !== undefined) patterns.push(compilePattern(p, i, effect, definition.define));
    } catch (err) {
      problems.push(`patterns[${i}] (${p.id}).regex: ${(err as Error).message}`);
    }
  });
  const ignore: RegExp[] = [];
  definition.ignore.forEach((r, i) => {
    try {
      ignore.push(new RegExp(lineBound(r), 'y'));
    } catch (err) {
      problems.push(`ignore[${i}]: ${(err as Error).message}`);
    }
  });
  const regexOf = (key: 'program_regex' | 'prefix_regex', make: (src: string) => string, flags: string): RegExp | null => {
    const src = definition[key];
    if (!src) return null;
    try {
      return new RegExp(make(src), flags);
    } catch (err) {
      problems.push(`${key}: ${(err as Error).message}`);
      return null;
    }
  };
  const programRegex = regexOf('program_regex', (r) => `^(?:${r})$`, '');
  const prefixRegex = regexOf('prefix_regex', (r) => lineBound(expandPlaceholders(r, definition.define)), 'y');
  if (problems.length > 0) throw new ConfigError(problems, { source });

  const anyStart = patterns.filter((p) => p.firstChars === null);
  const codes = new Set<number>();
  for (const p of patterns) for (const c of p.firstChars ?? []) codes.add(c);
  const dispatch: (CompiledPattern[] | undefined)[] = [];
  for (const code of codes) dispatch[code] = patterns.filter((p) => p.firstChars === null || p.firstChars.includes(code));
  const stripFirst: boolean[] = [];
  for (const prefix of definition.strip_prefixes) stripFirst[prefix.charCodeAt(0)] = true;
  return {
    definition, mode, dispatch, anyStart, patterns, ignore, stripPrefixes: definition.strip_prefixes, stripFirst, programs: definition.programs,
    programRegex, prefixRegex, plain: definition.format === 'plain',
  };
};
