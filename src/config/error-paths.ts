/**
 * io-ts errors → one line per problem in the operator's words, naming the exact place:
 * `monitors[2].threshold: expected a number, got "high"`. Paths use the YAML keys,
 * list items as `[i]`.
 */
import type * as t from 'io-ts';
import { LIST } from './struct.js';

/** Renders a value the way it appeared in YAML, short. */
export const showValue = (v: unknown): string => {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? v.slice(0, 57) + '...' : v);
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return String(v);
};

/** `monitors[2].threshold` for an io-ts context (the root entry has key ''). */
export const pathOf = (context: t.Context): string => {
  let out = '';
  for (let i = 1; i < context.length; i++) {
    const entry = context[i]!;
    const parent = context[i - 1]!.type as unknown as Record<symbol, unknown>;
    if (parent[LIST]) out += `[${entry.key}]`;
    else out += out === '' ? entry.key : `.${entry.key}`;
  }
  return out;
};

/** Joins a base path and a key: `join('monitors[2]', 'actions')`. */
export const joinPath = (base: string, key: string | number): string =>
  typeof key === 'number' ? `${base}[${key}]` : base === '' ? key : `${base}.${key}`;

/** One line per error, in order, duplicates removed. */
export const formatErrors = (errors: t.Errors): string[] => {
  const lines = new Set<string>();
  for (const e of errors) {
    const path = pathOf(e.context) || '(top level)';
    const last = e.context[e.context.length - 1];
    const expected = last?.type.name ?? 'something else';
    let line: string;
    if (e.message) line = `${path}: ${e.message}`;
    else if (e.value === undefined) line = `${path}: missing (expected ${expected})`;
    else line = `${path}: expected ${expected}, got ${showValue(e.value)}`;
    lines.add(line);
  }
  return [...lines];
};
