/**
 * fail2ban's annotated sample logs, read IN PLACE (GPL: never copied here), replayed
 * through a filter the way fail2ban's own test (fail2ban/tests/samplestestcase.py)
 * reads them:
 *  - `# failJSON: {...}` above a line: `match` (default false), `host`/`ip4`/`ip6`,
 *    `user`, `attempts`; `desc` and `time` are not compared here; `constraint` (a
 *    Python expression over `name` and `opts`) skips the line for the filter
 *    instances where it is false;
 *  - `# filterOptions: {...}|[...]`: the instances the following lines go through
 *    (each distinct set of options is one instance with its own state, kept across
 *    blocks); `test.condition` skips a block; `# fileOptions:` merges into them;
 *  - `# addFILE: "name"`: that file is read next, in the same way.
 * The only option with a meaning here is `mode`; `logtype` (journal, rfc5424) needs none
 * because the header parser reads every form.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AuthLineMatcher } from '../../src/auth/parse-auth-line.js';
import { loadFilterDefinition } from '../../src/auth/filters/load-filter.js';

export const corpusDir = '/usr/lib/python3/dist-packages/fail2ban/tests/files/logs';

export interface CorpusLine {
  file: string;
  lineNo: number;
  line: string;
  mode: string;
  expect: { match: boolean; host?: string; user?: string; attempts?: number; desc?: string };
  got: { host: string; user?: string; count: number; pattern: string } | null;
}

type Opts = Record<string, unknown>;

/** The few Python expressions fail2ban's sample files use; anything else is an error. */
const evalCondition = (expr: string, name: string, opts: Opts): boolean => {
  let m = /^name\s*==\s*'([\w-]+)'$/.exec(expr.trim());
  if (m) return name === m[1];
  m = /^opts\.get\('(\w+)'\)\s*(==|!=)\s*'([\w-]+)'$/.exec(expr.trim());
  if (m) return (opts[m[1]!] === m[3]) === (m[2] === '==');
  throw new Error(`fail2ban corpus: cannot evaluate constraint ${JSON.stringify(expr)}`);
};

export const corpusPresent = (file: string): boolean => existsSync(join(corpusDir, file));

/** Replays `file` (and its addFILEs) through `filter` for filter name `name`. */
export const replayCorpus = (file: string, name: string, filter: string = name): CorpusLine[] => {
  const instances = new Map<string, { matcher: AuthLineMatcher; mode: string }>();
  const instance = (opts: Opts) => {
    const own = Object.fromEntries(Object.entries(opts).filter(([k]) => !k.startsWith('test.')));
    const key = JSON.stringify(own);
    let i = instances.get(key);
    if (!i) {
      // no mode: the filter's own default (fail2ban's `{}`), e.g. postfix's `more`
      const mode = typeof own.mode === 'string' ? own.mode : loadFilterDefinition(filter).default_mode;
      i = { matcher: new AuthLineMatcher({ filter, mode, now: () => Date.UTC(2005, 7, 14, 10) }), mode };
      instances.set(key, i);
    }
    return { ...i, opts };
  };
  const out: CorpusLine[] = [];
  const files = [file];
  for (let f = 0; f < files.length; f++) {
    const lines = readFileSync(join(corpusDir, files[f]!), 'utf8').split('\n');
    let common: Opts = {};
    let tests: { matcher: AuthLineMatcher; mode: string; opts: Opts }[] | null = null;
    let ignoreBlock = false;
    for (let i = 0; i < lines.length; i++) {
      let line = lines[i]!;
      let faildata: Opts = {};
      const m = /^#+ ?(failJSON|(?:file|filter)Options|addFILE):(.+)$/.exec(line);
      if (m) {
        const data = JSON.parse(m[2]!);
        if (m[1] === 'fileOptions') {
          common = data;
          continue;
        }
        if (m[1] === 'filterOptions') {
          tests = [];
          ignoreBlock = false;
          for (const o of Array.isArray(data) ? data : [data]) {
            const opts = { ...common, ...o };
            if (typeof opts['test.condition'] === 'string') ignoreBlock = !evalCondition(opts['test.condition'], name, opts);
            if (!ignoreBlock) tests.push(instance(opts));
          }
          continue;
        }
        if (m[1] === 'addFILE') {
          files.push(data);
          continue;
        }
        faildata = data;
        i++;
        line = lines[i] ?? '';
      } else if (ignoreBlock || line.startsWith('#') || line.trim() === '') continue;
      if (ignoreBlock) continue;
      if (tests === null) tests = [instance({})];
      line = line.replace(/[\r\n]+$/, '');
      for (const t of tests) {
        if (typeof faildata.constraint === 'string' && !evalCondition(faildata.constraint, name, t.opts)) continue;
        const mt = t.matcher;
        const hit = mt.scanLine(line, 0, line.length);
        out.push({
          file: files[f]!,
          lineNo: i + 1,
          line,
          mode: t.mode,
          expect: {
            match: faildata.match === true,
            host: (faildata.host ?? faildata.ip4 ?? faildata.ip6) as string | undefined,
            user: faildata.user as string | undefined,
            attempts: faildata.attempts as number | undefined,
            desc: faildata.desc as string | undefined,
          },
          got: hit ? { host: mt.ip ?? mt.host, user: mt.user, count: mt.count, pattern: mt.patternId } : null,
        });
      }
    }
  }
  return out;
};

export interface CorpusFigures {
  lines: number;
  expectedHosts: number;
  foundHosts: number;
  recall: number;
  extraHosts: string[];
  injectionLines: number;
  injectionAttributed: number;
  wrongLines: CorpusLine[];
}

/** Recall of the expected hosts, hosts found outside them, injection lines right, lines wrong. */
export const corpusFigures = (lines: readonly CorpusLine[]): CorpusFigures => {
  const expected = new Set<string>();
  const found = new Set<string>();
  let injectionLines = 0;
  let injectionAttributed = 0;
  const wrongLines: CorpusLine[] = [];
  for (const l of lines) {
    // a match whose annotation names no host: fail2ban expects the line's host, whatever it is
    if (l.expect.match) expected.add(l.expect.host ?? l.got?.host ?? '(no host)');
    if (l.got) found.add(l.got.host);
    const injection = /inject/i.test(l.expect.desc ?? '');
    if (injection) injectionLines++;
    const right =
      l.expect.match === (l.got !== null) &&
      (!l.got || l.expect.host === undefined || l.got.host === l.expect.host) &&
      (!l.got || l.expect.user === undefined || l.got.user === l.expect.user) &&
      (!l.got || l.expect.attempts === undefined || l.got.count === l.expect.attempts);
    if (injection && right) injectionAttributed++;
    if (!right) wrongLines.push(l);
  }
  const hit = [...expected].filter((h) => found.has(h)).length;
  return {
    lines: lines.length,
    expectedHosts: expected.size,
    foundHosts: found.size,
    recall: expected.size === 0 ? 1 : hit / expected.size,
    extraHosts: [...found].filter((h) => !expected.has(h)),
    injectionLines,
    injectionAttributed,
    wrongLines,
  };
};

/** What a filter must achieve on its fail2ban corpus, per mode. */
export interface CorpusBar {
  /** fail2ban's corpus files for the filter (read in place) */
  files: readonly string[];
  /** lines each (file, mode) must check at least, so a parsing slip cannot empty the test */
  minLines: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** lowest recall accepted (the bar for the services: 0.99) */
  minRecall: number;
  /**
   * Lines where the filter deliberately differs from fail2ban's annotation (in every
   * mode), each with what it gives instead and why. They are checked to give exactly
   * that, printed, and left out of the figures (which are also printed with them).
   */
  divergences?: readonly { file: string; lineNo: number; got: { host: string } | null; why: string }[];
}

/**
 * One generated test per (file, mode) the corpus exercises: recall ≥ bar, 0 extra
 * hosts, every injection line attributed to its annotated host, every line exactly as
 * annotated (match or not, host, user, attempts). Skipped, saying so, only where the
 * corpus is absent. `time` is not compared (fail2ban's syslog times have no year).
 */
export const corpusTests = (
  filter: string,
  bar: CorpusBar,
  t: { test: (name: string, fn: (ctx: { skip: (m: string) => void; diagnostic: (m: string) => void }) => void) => void },
  assert: {
    ok: (v: unknown, m?: string) => void;
    deepEqual: (a: unknown, b: unknown, m?: string) => void;
    equal: (a: unknown, b: unknown, m?: string) => void;
  },
): void => {
  for (const file of bar.files) {
    const present = corpusPresent(file);
    const all = present ? replayCorpus(file, filter) : [];
    for (const [mode, min] of Object.entries(bar.minLines[file] ?? {})) {
      t.test(`${filter}: fail2ban ${file}, ${mode} mode: recall ≥ ${bar.minRecall}, 0 extra hosts, injections attributed, every line as annotated`, (ctx) => {
        if (!present) {
          ctx.skip(`fail2ban corpus absent (${corpusDir}/${file}): apt-get install fail2ban`);
          return;
        }
        const inMode = all.filter((l) => l.file === file && l.mode === mode);
        const divergent = (l: CorpusLine) => bar.divergences?.find((d) => d.file === l.file && d.lineNo === l.lineNo);
        for (const l of inMode) {
          const d = divergent(l);
          if (!d) continue;
          ctx.diagnostic(`DIVERGES from fail2ban: ${l.file}:${l.lineNo} (${mode}): fail2ban expects ${JSON.stringify(l.expect)}, this filter gives ${JSON.stringify(l.got)}: ${d.why}`);
          assert.deepEqual(l.got && { host: l.got.host }, d.got, `${l.file}:${l.lineNo} gives what the divergence says`);
        }
        const lines = inMode.filter((l) => !divergent(l));
        if (lines.length < inMode.length) {
          const raw = corpusFigures(inMode);
          ctx.diagnostic(
            `${filter} ${file} ${mode} with the divergent lines: recall ${raw.recall.toFixed(3)}, extra ${raw.extraHosts.length} (${raw.extraHosts.join(', ')}), injection lines ${raw.injectionAttributed}/${raw.injectionLines}`,
          );
        }
        const f = corpusFigures(lines);
        ctx.diagnostic(
          `${filter} ${file} ${mode}${lines.length < inMode.length ? ' without them' : ''}: ${f.lines} lines checked, hosts expected ${f.expectedHosts}, recall ${f.recall.toFixed(3)}, extra ${f.extraHosts.length}, injection lines ${f.injectionAttributed}/${f.injectionLines}`,
        );
        assert.ok(f.lines >= min, `only ${f.lines} lines checked (at least ${min} expected)`);
        assert.deepEqual(
          f.wrongLines.map((l) => `${l.file}:${l.lineNo} expected ${JSON.stringify(l.expect)} got ${JSON.stringify(l.got)}`),
          [],
        );
        assert.ok(f.recall >= bar.minRecall, `recall ${f.recall}`);
        assert.deepEqual(f.extraHosts, []);
        assert.equal(f.injectionAttributed, f.injectionLines);
      });
    }
    t.test(`${filter}: fail2ban ${file} exercises no mode beyond those checked`, (ctx) => {
      if (!present) {
        ctx.skip(`fail2ban corpus absent (${corpusDir}/${file})`);
        return;
      }
      assert.deepEqual([...new Set(all.map((l) => l.mode))].sort(), Object.keys(bar.minLines[file] ?? {}).sort());
    });
  }
};
