/**
 * The pattern table compiled for speed: each regex re-created with plain capture groups
 * (a match then allocates no `groups` object) and the positions of `ip` and `user`
 * worked out from its source, so the data keeps readable named groups.
 */
import type { SshdPattern } from './sshd-patterns.js';

export interface CompiledPattern {
  pattern: SshdPattern;
  /** same source, named groups made plain, sticky + multiline */
  fast: RegExp;
  /** index of the ip capture in a match */
  ipIndex: number;
  /** index of the user capture, or 0 when the pattern has none */
  userIndex: number;
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

export const compilePattern = (pattern: SshdPattern): CompiledPattern => {
  const source = pattern.regex.source;
  const groups = namedGroupIndexes(source);
  const ipIndex = groups.get('ip');
  if (ipIndex === undefined) throw new Error(`sshd pattern ${pattern.id}: no (?<ip>...) group`);
  const plain = source.replace(/\(\?<([A-Za-z_]\w*)>/g, '(');
  return { pattern, fast: new RegExp(plain, 'ym'), ipIndex, userIndex: groups.get('user') ?? 0 };
};
