/**
 * The filters shipped in the package (`rules/filters/*.yaml`), and their pre-parsed
 * form: `npm run build` runs this module, which writes each shipped filter file's YAML,
 * parsed, to JSON beside itself (`dist/src/auth/filters/shipped-filters.json`). A
 * command run from the build (`panicmode replay`) then neither loads the YAML parser
 * nor parses: a good part of its start-up. An entry holds the source text it was made
 * from and is used only while the file still reads the same; otherwise the file is
 * parsed as usual. Run from the sources there is no such file: every filter is parsed.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package's root: this file is src/auth/filters/ under it, or dist/src/auth/filters/ when built. */
const packageRoot = new URL(import.meta.url.includes('/dist/src/auth/filters/') ? '../../../../' : '../../../', import.meta.url);

/** Where the shipped filters live (the package's rules/filters). */
export const shippedFiltersDir = fileURLToPath(new URL('rules/filters/', packageRoot));

/** Filter YAML → plain data (aliases refused). The parser is loaded on first use. */
export const parseFilterYaml = (text: string): unknown => (createRequire(import.meta.url)('yaml') as typeof import('yaml')).parse(text, { maxAliasCount: 0 });

const cacheFile = fileURLToPath(new URL('./shipped-filters.json', import.meta.url));

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

/** Writes the pre-parsed form of every shipped filter beside this module; returns its path. */
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
