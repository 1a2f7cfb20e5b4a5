/**
 * YAML text → plain JS tree, with syntax errors as `line:col: message` problems so the
 * operator can jump to the place. Duplicate keys are errors (the second would silently
 * win), named by their config path.
 *
 * A config is small and shallow, so what is not is refused before it can hurt: more
 * than MAX_VALUES keys and values (the library's memory grows about 1 KB per value), nesting
 * deeper than MAX_NESTING (the YAML composer and every walk after it recurse: 20,000
 * levels overflowed the stack), an alias that names no earlier anchor or the value it
 * sits in (a cycle), and aliases that expand to more than MAX_ALIAS_VALUES values
 * ("billion laughs": a few lines that every later walk expands exponentially).
 */
import { CST, isAlias, isCollection, isPair, isScalar, Lexer, LineCounter, Parser, parseDocument, type Document, type Node } from 'yaml';
import { joinPath } from './error-paths.js';

/**
 * Most keys and values a config may hold. The YAML library takes about 1 KB of memory
 * per value while parsing (a 1 MiB flat list took 1.2 GB and 7 s); a full real config
 * has under a thousand, a long whitelist a few thousand.
 */
export const MAX_VALUES = 50_000;
/** Deepest nesting of mappings and lists a config may have (real ones need 5). */
export const MAX_NESTING = 64;
/** How many values aliases may add in all (sharing one list of routes costs its size each time). */
export const MAX_ALIAS_VALUES = 10_000;

const position = (lines: LineCounter, offset: number): string => {
  const pos = lines.linePos(offset);
  return `${pos.line}:${pos.col}`;
};

/**
 * Where the text holds more than MAX_VALUES keys and values, as a problem. Counted on
 * the lexer's tokens (a few MB of memory even for the worst text), before anything
 * larger is built: a plain scalar comes after a SCALAR mark, a quoted one starts with
 * its quote, an alias with `*`. The marks take no room in the source.
 */
const valueCountProblem = (text: string): string | undefined => {
  let values = 0;
  let offset = 0;
  for (const token of new Lexer().lex(text)) {
    if (token === CST.SCALAR || token[0] === '"' || token[0] === "'" || token[0] === '*') values++;
    if (values > MAX_VALUES) {
      const before = text.slice(0, offset);
      const line = before.split('\n').length;
      const col = offset - before.lastIndexOf('\n');
      return `${line}:${col}: more than ${MAX_VALUES} keys and values (a config has a few hundred)`;
    }
    if (token !== CST.SCALAR && token !== CST.DOCUMENT && token !== CST.FLOW_END) offset += token.length;
  }
  return undefined;
};

/**
 * Where the syntax nests deeper than MAX_NESTING, as a problem. Walks the concrete
 * syntax tree, which the parser builds without recursion, with an explicit stack.
 */
const nestingProblem = (text: string): string | undefined => {
  const lines = new LineCounter();
  const stack: { token: CST.Token; depth: number }[] = [];
  for (const token of new Parser(lines.addNewLine).parse(text)) stack.push({ token, depth: 0 });
  while (stack.length > 0) {
    const { token, depth } = stack.pop()!;
    if (token.type === 'document') {
      if (token.value) stack.push({ token: token.value, depth });
    } else if (token.type === 'block-map' || token.type === 'block-seq' || token.type === 'flow-collection') {
      if (depth + 1 > MAX_NESTING) return `${position(lines, token.offset)}: nested deeper than ${MAX_NESTING} levels (a config needs a few)`;
      for (const item of token.items) {
        if (item.key) stack.push({ token: item.key, depth: depth + 1 });
        if (item.value) stack.push({ token: item.value, depth: depth + 1 });
      }
    }
  }
  return undefined;
};

const keyText = (key: unknown): string => (isScalar(key) ? String(key.value) : '?');

/**
 * Problems of the composed document, each at its config path: a key given twice in a
 * mapping (the library's own check compares every pair: minutes for 50,000 keys), and
 * aliases that are unresolved, cyclic, nest too deep once expanded, or go past the
 * MAX_ALIAS_VALUES budget. One post-order walk in document order: an alias can only
 * name an earlier anchor, whose expanded size and depth are known by then, so nothing
 * is ever expanded to be measured.
 */
const treeProblems = (doc: Document, lines: LineCounter): string[] => {
  const problems: string[] = [];
  const anchors = new Map<string, Node>();
  const measured = new Map<Node, { size: number; depth: number }>();
  let aliasValues = 0;
  let tooDeep = false;
  const at = (node: Node): string => (node.range ? position(lines, node.range[0]) : '?');
  const walk = (node: unknown, path: string): { size: number; depth: number } => {
    if (isAlias(node)) {
      const target = anchors.get(node.source);
      const here = path || '(top level)';
      if (!target) {
        problems.push(`${here}: alias *${node.source} names no anchor before it (write &${node.source} on an earlier value)`);
        return { size: 1, depth: 0 };
      }
      const m = measured.get(target);
      if (!m) {
        problems.push(`${here}: alias *${node.source} refers to a value that contains it`);
        return { size: 1, depth: 0 };
      }
      aliasValues += m.size;
      if (aliasValues > MAX_ALIAS_VALUES && aliasValues - m.size <= MAX_ALIAS_VALUES)
        problems.push(`${here}: aliases expand to more than ${MAX_ALIAS_VALUES} values (an alias bomb?)`);
      return m;
    }
    if (!isCollection(node) && !isScalar(node)) return { size: 0, depth: 0 };
    if (node.anchor) anchors.set(node.anchor, node);
    let size = 1;
    let depth = 0;
    if (isCollection(node)) {
      const keys = new Map<string, Node>();
      node.items.forEach((item, i) => {
        // Keys are compared as the JS object will hold them: `1` and "1" are one key.
        if (isPair(item) && isScalar(item.key)) {
          const first = keys.get(keyText(item.key));
          if (first) problems.push(`${joinPath(path, keyText(item.key))}: given twice (${at(first)} and ${at(item.key)}); the second would silently win`);
          else keys.set(keyText(item.key), item.key);
        }
        const children = isPair(item) ? [item.key, item.value] : [item];
        const childPath = isPair(item) ? joinPath(path, keyText(item.key)) : joinPath(path, i);
        for (const child of children) {
          const m = walk(child, childPath);
          size += m.size;
          depth = Math.max(depth, m.depth + 1);
        }
      });
    }
    const m = { size, depth };
    measured.set(node, m);
    if (depth > MAX_NESTING && !tooDeep) {
      tooDeep = true;
      problems.push(`${path || '(top level)'}: nested deeper than ${MAX_NESTING} levels once its aliases are expanded`);
    }
    return m;
  };
  walk(doc.contents, '');
  return problems;
};

/** Parses YAML; syntax errors and the shapes refused above become problems. */
export const parseYaml = (text: string): { value: unknown; problems: string[] } => {
  const tooBig = valueCountProblem(text) ?? nestingProblem(text);
  if (tooBig) return { value: undefined, problems: [tooBig] };
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: false, lineCounter });
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((e) => {
      const pos = e.linePos?.[0] ?? lineCounter.linePos(e.pos[0]);
      const msg = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
      return pos ? `${pos.line}:${pos.col}: ${msg}` : msg;
    });
    return { value: undefined, problems };
  }
  const problems = treeProblems(doc, lineCounter);
  if (problems.length > 0) return { value: undefined, problems };
  // The alias budget above is the guard; the library's own heuristic would refuse an
  // anchor shared by many routes.
  return { value: doc.toJS({ maxAliasCount: -1 }), problems: [] };
};
