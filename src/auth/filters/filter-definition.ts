/**
 * A log filter as written in a filter file (rules/filters/*.yaml, or a user's own):
 * what a service logs when someone fails to authenticate, as data. Decoded and
 * checked here (every problem named by its place), compiled by compile-filter.ts.
 * The format is documented in rules/filters/README.md.
 */
import { ConfigError } from '../../errors.js';

/** What a matching line means for its connection (session). */
export type PatternEffect =
  /** a failure: counted (with the connection's held ones) */
  | 'failure'
  /** a failure that only counts if the connection later fails or tries another user */
  | 'held'
  /** no failure: tells the connection's address/user, releases failures waiting for an address */
  | 'helper'
  /** a successful login: the connection's held failures are dropped */
  | 'success';

export type LineFormat = 'syslog' | 'plain';
export const lineFormats: readonly LineFormat[] = ['syslog', 'plain'];

export const patternEffects: readonly PatternEffect[] = ['failure', 'held', 'helper', 'success'];

export interface FilterPatternDefinition {
  id: string;
  /** what kind of failure (free text, e.g. `invalid_user`): shown in incidents */
  kind: string;
  /** regex over the message, anchored at its start; `<HOST>`, `<USER>`, `<NAME>` of `define` */
  regex: string;
  /** one effect in every mode, or per mode (a mode left out: the pattern is off there) */
  effect: PatternEffect | Readonly<Record<string, PatternEffect>>;
  /** the connection is forgotten after this line (a disconnect, a login) */
  forget: boolean;
  description: string;
}

export interface FilterDefinition {
  name: string;
  description: string;
  /**
   * How a line is laid out: `syslog` (`[timestamp] [host] program[pid]: message`), or
   * `plain` (`[timestamp] message`: a service's own log file, e.g. nginx's error log)
   */
  format: LineFormat;
  /** syslog tags (program names) whose lines the filter reads; empty (and no program_regex): any program */
  programs: string[];
  /** a regex the whole program tag may match instead (`postfix(-\w+)?/\w+`); '' when none */
  program_regex: string;
  modes: string[];
  default_mode: string;
  /** literal texts removed from the start of a message before matching (first that fits) */
  strip_prefixes: string[];
  /**
   * a regex matched at the message's start (after strip_prefixes) and skipped before the
   * patterns — the decorations a service puts before its messages; a message it does
   * not match is no failure (fail2ban's prefregex). '' when none
   */
  prefix_regex: string;
  /** named regex fragments, used as `<NAME>` in patterns */
  define: Record<string, string>;
  /** messages matching any of these are never failures (applied before the patterns) */
  ignore: string[];
  patterns: FilterPatternDefinition[];
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const show = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v) : v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v);

const filterKeys = ['name', 'description', 'format', 'programs', 'program_regex', 'modes', 'default_mode', 'strip_prefixes', 'prefix_regex', 'define', 'ignore', 'patterns'];
const patternKeys = ['id', 'kind', 'regex', 'effect', 'forget', 'description'];

/**
 * Checks a parsed filter file. Throws a ConfigError listing every problem by its place
 * (`patterns[3].effect.ddos: expected one of failure, held, helper, success`).
 */
export const decodeFilterDefinition = (raw: unknown, source: string): FilterDefinition => {
  const problems: string[] = [];
  const str = (v: unknown, at: string, optional = false): string => {
    if (typeof v === 'string' && v.length > 0) return v;
    if (optional && v === undefined) return '';
    problems.push(`${at}: expected a non-empty string, got ${show(v)}`);
    return '';
  };
  const strList = (v: unknown, at: string, allowEmpty = true): string[] => {
    if (v === undefined) return [];
    if (!Array.isArray(v)) {
      problems.push(`${at}: expected a list of strings, got ${show(v)}`);
      return [];
    }
    if (!allowEmpty && v.length === 0) problems.push(`${at}: expected at least one entry`);
    return v.map((x, i) => str(x, `${at}[${i}]`));
  };
  const unknownKeys = (o: Record<string, unknown>, allowed: string[], at: string) => {
    for (const k of Object.keys(o)) if (!allowed.includes(k)) problems.push(`${at}${at ? '.' : ''}${k}: unknown key (allowed: ${allowed.join(', ')})`);
  };

  if (!isRecord(raw)) throw new ConfigError([`expected a mapping (name, programs, patterns, ...), got ${show(raw)}`], { source });
  unknownKeys(raw, filterKeys, '');
  const name = str(raw.name, 'name');
  const description = str(raw.description, 'description', true);
  let format: LineFormat = 'syslog';
  if (raw.format !== undefined) {
    if (lineFormats.includes(raw.format as LineFormat)) format = raw.format as LineFormat;
    else problems.push(`format: expected one of ${lineFormats.join(', ')}, got ${show(raw.format)}`);
  }
  const programs = strList(raw.programs, 'programs');
  const program_regex = str(raw.program_regex, 'program_regex', true);
  if (format === 'plain' && (programs.length > 0 || program_regex)) problems.push('programs, program_regex: a plain-format log has no program tag (remove them, or use format: syslog)');
  const modes = raw.modes === undefined ? ['normal'] : strList(raw.modes, 'modes', false);
  const default_mode = raw.default_mode === undefined ? (modes[0] ?? 'normal') : str(raw.default_mode, 'default_mode');
  if (default_mode && !modes.includes(default_mode)) problems.push(`default_mode: "${default_mode}" is not one of modes (${modes.join(', ')})`);
  const strip_prefixes = strList(raw.strip_prefixes, 'strip_prefixes');
  const prefix_regex = str(raw.prefix_regex, 'prefix_regex', true);
  const define: Record<string, string> = {};
  if (raw.define !== undefined) {
    if (!isRecord(raw.define)) problems.push(`define: expected a mapping NAME: regex, got ${show(raw.define)}`);
    else
      for (const [k, v] of Object.entries(raw.define)) {
        if (!/^[A-Z][A-Z0-9_]*$/.test(k) || k === 'HOST' || k === 'USER') problems.push(`define.${k}: names are upper case (A-Z, 0-9, _), not HOST or USER`);
        define[k] = str(v, `define.${k}`);
      }
  }
  const ignore = strList(raw.ignore, 'ignore');
  const patterns: FilterPatternDefinition[] = [];
  if (!Array.isArray(raw.patterns) || raw.patterns.length === 0) problems.push(`patterns: expected a non-empty list, got ${show(raw.patterns)}`);
  else {
    const ids = new Set<string>();
    raw.patterns.forEach((p: unknown, i: number) => {
      const at = `patterns[${i}]`;
      if (!isRecord(p)) {
        problems.push(`${at}: expected a mapping (id, kind, regex, ...), got ${show(p)}`);
        return;
      }
      unknownKeys(p, patternKeys, at);
      const id = str(p.id, `${at}.id`);
      if (ids.has(id)) problems.push(`${at}.id: "${id}" is used twice`);
      ids.add(id);
      let effect: FilterPatternDefinition['effect'] = 'failure';
      if (typeof p.effect === 'string') {
        if (!patternEffects.includes(p.effect as PatternEffect)) problems.push(`${at}.effect: expected one of ${patternEffects.join(', ')}, got ${show(p.effect)}`);
        effect = p.effect as PatternEffect;
      } else if (isRecord(p.effect)) {
        for (const [m, e] of Object.entries(p.effect)) {
          if (!modes.includes(m)) problems.push(`${at}.effect.${m}: not one of modes (${modes.join(', ')})`);
          if (!patternEffects.includes(e as PatternEffect)) problems.push(`${at}.effect.${m}: expected one of ${patternEffects.join(', ')}, got ${show(e)}`);
        }
        effect = p.effect as Record<string, PatternEffect>;
      } else if (p.effect !== undefined) problems.push(`${at}.effect: expected an effect or a mapping mode: effect, got ${show(p.effect)}`);
      if (p.forget !== undefined && typeof p.forget !== 'boolean') problems.push(`${at}.forget: expected true or false, got ${show(p.forget)}`);
      patterns.push({
        id,
        kind: str(p.kind, `${at}.kind`),
        regex: str(p.regex, `${at}.regex`),
        effect,
        forget: p.forget === true,
        description: typeof p.description === 'string' ? p.description : '',
      });
    });
  }
  if (problems.length > 0) throw new ConfigError(problems, { source });
  return { name, description, format, programs, program_regex, modes, default_mode, strip_prefixes, prefix_regex, define, ignore, patterns };
};

/** The effect of a pattern in a mode, or undefined when the pattern is off in that mode. */
export const effectIn = (p: FilterPatternDefinition, mode: string): PatternEffect | undefined =>
  typeof p.effect === 'string' ? p.effect : p.effect[mode];
