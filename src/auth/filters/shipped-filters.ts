/**
 * The filters shipped in the package (`rules/filters/*.yaml`), and their pre-parsed
 * form: `npm run build` runs this module, which writes each shipped filter file's YAML,
 * parsed, to `dist/shipped-filters.json`. A command run from the build (`panicmode
 * replay`) then neither loads the YAML parser nor parses: a good part of its start-up.
 * An entry holds the source text it was made from and is used only while the file
 * still reads the same; otherwise the file is parsed as usual (so a stale build never
 * stands in for an edited filter).
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { shippedRulesDir } from '../../config/shipped-rules-dir.js';

/** Where the shipped filters live: rules/filters of the package (see shipped-rules-dir.ts). */
export const shippedFiltersDir = `${shippedRulesDir}filters/`;

/** Filter YAML → plain data (aliases refused). The parser is loaded on first use. */
export const parseFilterYaml = (text: string): unknown => (createRequire(import.meta.url)('yaml') as typeof import('yaml')).parse(text, { maxAliasCount: 0 });

/** the package's dist/ (beside rules/) */
const cacheFile = join(shippedFiltersDir, '..', '..', 'dist', 'shipped-filters.json');

interface Entry {
  /** the filter file's text the entry was made from */
  source: string;
  /** that text parsed */
  raw: unknown;
}

let entries: Record<string, Entry> | null | undefined;

/** The pre-parsed form of filter file `path` whose text is `source`, or undefined. */
export const preParsedFilter = (path: string, source: string): unknown => {
  if (entries === undefined) {
    try {
      entries = JSON.parse(readFileSync(cacheFile, 'utf8')) as Record<string, Entry>;
    } catch {
      entries = null; // not built, or unreadable: parse as usual
    }
  }
  const e = entries?.[basename(path)];
  return e !== undefined && e.source === source ? e.raw : undefined;
};

/** Writes the pre-parsed form of every shipped filter into the package's dist/; returns its path. */
export const writePreParsedFilters = (): string => {
  const out: Record<string, Entry> = {};
  for (const name of readdirSync(shippedFiltersDir).filter((f) => f.endsWith('.yaml')).sort()) {
    const source = readFileSync(join(shippedFiltersDir, name), 'utf8');
    out[name] = { source, raw: parseFilterYaml(source) };
  }
  writeFileSync(cacheFile, JSON.stringify(out));
  return cacheFile;
};

if (process.argv[1] === fileURLToPath(import.meta.url)) process.stdout.write(`pre-parsed filters: ${writePreParsedFilters()}\n`);
