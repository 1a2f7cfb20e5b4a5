/**
 * One filter pattern compiled for speed and for safety:
 *  - placeholders expanded (`<HOST>`, `<USER>`, the filter's `define`s);
 *  - made line-bound: `.`, `\s`, `\W`, `\D` and negated classes never cross a newline,
 *    and `$` is the real end of the line (before `\n`, or the text's end). Replay runs a
 *    regex over a chunk of many lines, live over one line: the same regex must give the
 *    same answer, and a `\r` or U+2028 inside a line is an ordinary character (JS's
 *    multiline `$` and `.` stop at them, which let `x\r from 6.6.6.6` frame an address);
 *  - named groups made plain (a match then allocates no `groups` object), their
 *    positions worked out from the source;
 *  - its literal prefix and possible first characters found, so the matcher can skip it
 *    without running it.
 */
import type { FilterPatternDefinition, PatternEffect } from './filters/filter-definition.js';

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
/**
 * The remote host as a service writes it: a dotted quad (octets ≤ 255 checked by the
 * regex), an IPv6 / v4-mapped form (validated after the match), or a name (UseDNS, a
 * malformed address): names are reported but never banned.
 */
export const HOST_REGEX = `(?<host>${OCTET}(?:\\.${OCTET}){3}(?![\\d.])|[0-9A-Fa-f]*:[0-9A-Fa-f:.]*[0-9A-Fa-f]|[A-Za-z0-9][A-Za-z0-9_-]*(?:\\.[A-Za-z0-9_-]+)*)`;
/** a user name: anything, lazily (the text after it decides where it ends) */
export const USER_REGEX = '(?<user>.*?)';

export interface CompiledPattern {
  id: string;
  /** position in the filter's pattern list (per-pattern counters index on it) */
  index: number;
  kind: string;
  effect: PatternEffect;
  forget: boolean;
  /** line-bound, plain groups, sticky */
  fast: RegExp;
  /** capture indexes (0: absent) */
  hostIndex: number;
  userIndex: number;
  altUserIndex: number;
  /** literal text every match starts with ('' if none) */
  prefix: string;
  /** when the match starts with a one-character class (`[aA]`): the literal text after it */
  afterFirst: string;
  /** char codes a match can start with; null: any */
  firstChars: number[] | null;
}

/** Capture-group numbers of the named groups in a regex source (escapes and classes skipped). */
export const namedGroupIndexes = (source: string): Map<string, number> => {
  const names = new Map<string, number>();
  let n = 0;
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') inClass = true;
    else if (c === '(') {
      if (source[i + 1] !== '?') n++;
      else if (source[i + 2] === '<' && source[i + 3] !== '=' && source[i + 3] !== '!') {
        n++;
        const close = source.indexOf('>', i);
        names.set(source.slice(i + 3, close), n);
      }
    }
  }
  return names;
};

/** JS `\s` without `\n`, for use inside a character class. */
const SPACE_NO_NL = '\\t\\v\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff';
/** the real end of a line: before its `\n` (a CRLF's `\r` too), or the end of the text */
export const LINE_END = '(?=\\r?\\n|\\r?$)';

/**
 * Rewrites a regex source so that nothing in it can match across a newline and `$` is
 * the end of the line. Throws on a `^` after the start (patterns are anchored already).
 */
export const lineBound = (source: string): string => {
  let out = '';
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === '\\') {
      const e = source[i + 1] ?? '';
      i++;
      if (inClass) out += e === 's' ? SPACE_NO_NL : '\\' + e;
      else if (e === 's') out += '[^\\S\\n]';
      else if (e === 'W') out += '[^\\w\\n]';
      else if (e === 'D') out += '[^\\d\\n]';
      else out += '\\' + e;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      if (source[i + 1] === '^') {
        out += '[^\\n';
        i++;
      } else out += c;
      continue;
    }
    if (c === '.') out += '[^\\n]';
    else if (c === '$') out += LINE_END;
    else if (c === '^') {
      if (i !== 0) throw new Error(`"^" inside the regex (patterns are anchored at the message start already)`);
    } else out += c;
  }
  return out;
};

const isQuantifier = (c: string | undefined): boolean => c === '?' || c === '*' || c === '+' || c === '{';
const META = new Set(['(', ')', '[', ']', '{', '}', '.', '*', '+', '?', '|', '^', '$']);

/** The literal text at the start of a source ('' when it starts with a construct). */
export const literalPrefix = (source: string): string => {
  let out = '';
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    let lit: string;
    let next: number;
    if (c === '\\') {
      const e = source[i + 1] ?? '';
      if (/[A-Za-z0-9]/.test(e)) break; // \s, \d, \b, \u...: not a literal
      lit = e;
      next = i + 2;
    } else if (META.has(c)) break;
    else {
      lit = c;
      next = i + 1;
    }
    if (isQuantifier(source[next])) break;
    out += lit;
    i = next - 1;
  }
  return out;
};

/** `[aA]uthentication` → `uthentication`: the literal after a leading one-character class ('' otherwise). */
export const literalAfterClass = (source: string): string => {
  if (!source.startsWith('[') || source[1] === '^') return '';
  const close = source.indexOf(']');
  if (close < 0 || isQuantifier(source[close + 1]) || /[\\-]/.test(source.slice(1, close))) return '';
  return literalPrefix(source.slice(close + 1));
};

/** Index of the `)` closing the group opened at `open`. */
const closingParen = (s: string, open: number): number => {
  let depth = 0;
  let inClass = false;
  for (let i = open; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') i++;
    else if (inClass) inClass = c !== ']';
    else if (c === '[') inClass = true;
    else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i;
  }
  return -1;
};

/** Top-level alternatives of a group body. */
const alternatives = (body: string): string[] => {
  const parts: string[] = [];
  let depth = 0;
  let inClass = false;
  let from = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === '\\') i++;
    else if (inClass) inClass = c !== ']';
    else if (c === '[') inClass = true;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '|' && depth === 0) {
      parts.push(body.slice(from, i));
      from = i + 1;
    }
  }
  parts.push(body.slice(from));
  return parts;
};

/** The characters a match of `source` can start with, or null when not worked out. */
export const firstChars = (source: string): number[] | null => {
  const prefix = literalPrefix(source);
  if (prefix.length > 0) return [prefix.charCodeAt(0)];
  if (source.startsWith('[')) {
    const close = source.indexOf(']');
    const body = source.slice(1, close);
    if (close < 0 || isQuantifier(source[close + 1]) || /[\\^-]/.test(body)) return null;
    return [...body].map((ch) => ch.charCodeAt(0));
  }
  if (source.startsWith('(?:') || (source.startsWith('(') && source[1] !== '?')) {
    const close = closingParen(source, 0);
    if (close < 0 || isQuantifier(source[close + 1])) return null;
    const body = source.slice(source[1] === '?' ? 3 : 1, close);
    const all = new Set<number>();
    for (const alt of alternatives(body)) {
      const f = alt === '' ? null : firstChars(alt);
      if (f === null) return null;
      for (const x of f) all.add(x);
    }
    return [...all];
  }
  return null;
};

/** Expands `<HOST>`, `<USER>` and the filter's `<NAME>`s (defines may use each other). */
export const expandPlaceholders = (regex: string, define: Readonly<Record<string, string>>): string => {
  let s = regex;
  for (let round = 0; round < 10 && /<[A-Z][A-Z0-9_]*>/.test(s); round++) {
    s = s.replace(/<([A-Z][A-Z0-9_]*)>/g, (whole, name: string) => {
      if (name === 'HOST') return HOST_REGEX;
      if (name === 'USER') return USER_REGEX;
      const d = define[name];
      if (d === undefined) throw new Error(`unknown placeholder <${name}> (built in: <HOST>, <USER>; others come from define)`);
      return d;
    });
  }
  return s;
};

/** Compiles one pattern for one effect. Throws an Error describing what is wrong. */
export const compilePattern = (p: FilterPatternDefinition, index: number, effect: PatternEffect, define: Readonly<Record<string, string>>): CompiledPattern => {
  const expanded = expandPlaceholders(p.regex, define);
  const groups = namedGroupIndexes(expanded);
  for (const name of groups.keys())
    if (name !== 'host' && name !== 'user' && name !== 'alt_user') throw new Error(`unknown group (?<${name}>): only host, user, alt_user`);
  if (groups.size > new Set(groups.keys()).size) throw new Error('a named group is used twice');
  const plain = lineBound(expanded).replace(/\(\?<([A-Za-z_]\w*)>/g, '(');
  let fast: RegExp;
  try {
    fast = new RegExp(plain, 'y');
  } catch (err) {
    throw new Error(`not a valid regex: ${(err as Error).message}`);
  }
  const hostIndex = groups.get('host') ?? 0;
  if (hostIndex === 0 && effect === 'success') throw new Error('a success pattern needs <HOST>');
  return {
    id: p.id,
    index,
    kind: p.kind,
    effect,
    forget: p.forget,
    fast,
    hostIndex,
    userIndex: groups.get('user') ?? 0,
    altUserIndex: groups.get('alt_user') ?? 0,
    prefix: literalPrefix(expanded),
    afterFirst: literalAfterClass(expanded),
    firstChars: firstChars(expanded),
  };
};
