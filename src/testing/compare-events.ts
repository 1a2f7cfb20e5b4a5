/**
 * Expected events against actual ones, for one kind (incidents, actions, bans, alerts).
 * A given list must match exactly: every expected event has an actual one at the same
 * virtual time whose fields equal those the expectation writes (fields it leaves out
 * are not compared), and no actual event is left over. Events at the same time may
 * come in any order; across times, order is time order.
 *
 * The diff reads like a unified diff, in time order: `  ` matched, `- ` expected but
 * not produced, `+ ` produced but not expected, each with its virtual time.
 */
import { formatDuration } from '../config/duration.js';
import type { PipelineEvent } from './rule-pipeline.js';

export type EventKind = 'incidents' | 'actions' | 'bans' | 'alerts';

const pipelineKind: Record<EventKind, PipelineEvent['kind']> = { incidents: 'incident', actions: 'action', bans: 'ban', alerts: 'alert' };

export interface KindResult {
  kind: EventKind;
  passed: boolean;
  /** the diff lines (all of them: matched ones give context) */
  diff: string[];
}

type Fields = Record<string, unknown> & { at: number };

export const formatTime = (ms: number | null): string => (ms === null ? 'never' : formatDuration(ms));

const same = (expected: unknown, actual: unknown): boolean => {
  if (Array.isArray(expected)) return Array.isArray(actual) && expected.length === actual.length && expected.every((x, i) => x === actual[i]);
  return expected === actual;
};

/** `message` (an alert's) is matched as a part of the text: a test names what the message must say. */
const matches = (expected: Fields, actual: Fields): boolean =>
  expected.at === actual.at &&
  Object.entries(expected).every(([k, v]) =>
    v === undefined || (k === 'message' ? typeof actual.message === 'string' && actual.message.includes(String(v)) : same(v, actual[k])),
  );

/** One event as a line: the fields that say what it is, then the rest as key=value. */
const describe = (kind: EventKind, e: Fields): string => {
  const words: string[] = [];
  const take = (k: string, show: (v: unknown) => string = String) => {
    if (e[k] !== undefined) words.push(show(e[k]));
  };
  switch (kind) {
    case 'incidents':
      take('status');
      take('severity');
      take('name');
      take('description', (v) => `(${v})`);
      take('details', (v) => `[${v}]`);
      break;
    case 'actions':
      take('action');
      take('target', (v) => `target=${v}`);
      take('rule', (v) => `rule=${JSON.stringify(v)}`);
      break;
    case 'bans':
      take('ip');
      take('until', (v) => `until ${formatTime(v as number | null)}`);
      take('rule', (v) => `rule=${JSON.stringify(v)}`);
      break;
    case 'alerts':
      take('severity');
      take('status');
      take('name');
      take('count', (v) => `×${v}`);
      take('channels', (v) => `→ ${(v as string[]).join(', ')}`);
      take('message', (v) => JSON.stringify(v));
      break;
  }
  return `at ${formatTime(e.at).padEnd(6)} ${words.join('  ')}`;
};

/** Fields shown only when the expectations compare them (they are long). */
const wordy = ['key', 'description', 'details', 'message'];

/** The fields of an actual event that its diff line shows: all but the wordy ones nobody expects. */
const shown = (e: Fields, expected: readonly Fields[]): Fields =>
  Object.fromEntries(Object.entries(e).filter(([k]) => !wordy.includes(k) || expected.some((x) => x[k] !== undefined))) as Fields;

export const compareEvents = (kind: EventKind, expected: readonly Fields[], events: readonly PipelineEvent[]): KindResult => {
  const actual: Fields[] = events.filter((e) => e.kind === pipelineKind[kind]).map((e) => ({ at: e.at, ...(e.event as unknown as Record<string, unknown>) }));
  const used = new Set<number>();
  const pairs: { expected?: Fields; actual?: Fields; at: number; order: number }[] = [];
  expected.forEach((x, i) => {
    const j = actual.findIndex((a, k) => !used.has(k) && matches(x, a));
    if (j >= 0) used.add(j);
    pairs.push({ expected: x, actual: j >= 0 ? actual[j] : undefined, at: x.at, order: i });
  });
  actual.forEach((a, k) => {
    if (!used.has(k)) pairs.push({ actual: a, at: a.at, order: expected.length + k });
  });
  pairs.sort((p, q) => p.at - q.at || p.order - q.order);
  const diff = pairs.map((p) =>
    p.expected && p.actual ? `  ${describe(kind, p.expected)}` : p.expected ? `- ${describe(kind, p.expected)}` : `+ ${describe(kind, shown(p.actual!, expected))}`,
  );
  return { kind, passed: pairs.every((p) => p.expected && p.actual), diff };
};
