/**
 * YAML text → plain JS tree, with syntax errors as `line:col: message` problems so the
 * operator can jump to the place. Duplicate keys are errors (the second would silently win).
 */
import { LineCounter, parseDocument } from 'yaml';

/** Parses YAML; syntax errors become `line:col: message` problems. */
export const parseYaml = (text: string): { value: unknown; problems: string[] } => {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, lineCounter });
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((e) => {
      const pos = e.linePos?.[0] ?? lineCounter.linePos(e.pos[0]);
      const msg = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
      return pos ? `${pos.line}:${pos.col}: ${msg}` : msg;
    });
    return { value: undefined, problems };
  }
  return { value: doc.toJS({ maxAliasCount: 100 }), problems: [] };
};
