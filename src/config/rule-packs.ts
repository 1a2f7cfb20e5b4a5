/**
 * Rule packs (`rules/*.yaml`): files in the config's `monitors:` format that a config
 * includes with `rules: [FILE, ...]` (paths relative to the config file, or the name of a
 * shipped pack) and
 * `panicmode run --rules FILE` adds to. Including a pack appends its monitors to the
 * config's before the config is decoded, so they are checked like the config's own
 * (their actions must exist, ...). Each pack's shape is checked on its own first, so a
 * problem names the pack: `rules[0] (rules/ssh.yaml): monitors[1].threshold: ...`.
 *
 * A pack included twice (same file) counts once. A monitor name that another monitor
 * already has is refused by the config's cross-checks, like two monitors of one file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { shippedRulesDir } from './shipped-rules-dir.js';
import { formatErrors } from './error-paths.js';
import { parseYaml } from './parse-yaml.js';
import { MAX_CONFIG_BYTES } from './read-config-file.js';
import { Monitor } from './schema.js';
import { isPlainObject, list, struct } from './struct.js';


/** A pack is a config with only `monitors:`, so a test can load it as one (`config: ssh.yaml`). */
const RulePack = struct({ monitors: list(Monitor, 'a list of monitors') }, 'a rule pack (a mapping with monitors:)');

/** A pack's monitors as written (raw trees), or the problems with it, each naming its place in the file. */
export const readRulePack = (path: string): { monitors: unknown[]; problems: string[] } => {
  let text: string;
  try {
    const buffer = readFileSync(path);
    if (buffer.length > MAX_CONFIG_BYTES) return { monitors: [], problems: ['the file is larger than 1 MiB; a rule pack is a few kilobytes'] };
    text = buffer.toString('utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { monitors: [], problems: [code === 'ENOENT' ? 'no such file' : `cannot read it (${code ?? (err as Error).message})`] };
  }
  const parsed = parseYaml(text);
  if (parsed.problems.length > 0) return { monitors: [], problems: parsed.problems };
  const r = RulePack.decode(parsed.value);
  if (r._tag === 'Left') return { monitors: [], problems: formatErrors(r.left) };
  return { monitors: (parsed.value as { monitors: unknown[] }).monitors, problems: [] };
};

/**
 * Where a `rules:` entry is: beside the config (relative to `baseDir`), else the pack of
 * that name shipped with PanicMode, so `rules: [ssh.yaml, processes.yaml]` includes the
 * built-in packs from any config. A file beside the config wins: a local copy overrides.
 */
const packPath = (p: string, baseDir: string): string => {
  if (isAbsolute(p)) return p;
  const local = resolve(baseDir, p);
  if (existsSync(local)) return local;
  const shipped = resolve(shippedRulesDir, p);
  return existsSync(shipped) ? shipped : local;
};

/**
 * The config tree with its `rules:` packs (relative to `baseDir`, or shipped) and `extra` packs
 * (relative to the working directory: `--rules`) appended to `monitors:`. A tree that is
 * not a mapping, or whose `rules:` is not a list of strings, is returned as is: the
 * codec reports it.
 */
export const includeRulePacks = (tree: unknown, baseDir: string, extra: readonly string[] = []): { tree: unknown; problems: string[] } => {
  const root = tree === null || tree === undefined ? {} : tree;
  if (!isPlainObject(root)) return { tree, problems: [] };
  const listed = Array.isArray(root.rules) && root.rules.every((p) => typeof p === 'string') ? (root.rules as string[]) : [];
  const packs = [
    ...listed.map((p, i) => ({ place: `rules[${i}]`, path: packPath(p, baseDir), shown: p })),
    ...extra.map((p) => ({ place: '--rules', path: resolve(p), shown: p })),
  ];
  if (packs.length === 0) return { tree, problems: [] };
  const problems: string[] = [];
  const monitors = Array.isArray(root.monitors) ? [...root.monitors] : [];
  const seen = new Set<string>();
  for (const pack of packs) {
    if (seen.has(pack.path)) continue;
    seen.add(pack.path);
    const where = `${pack.place} (${pack.shown})`;
    const r = readRulePack(pack.path);
    problems.push(...r.problems.map((p) => `${where}: ${p}`));
    monitors.push(...r.monitors);
  }
  // `rules:` has done its work: the effective config (config show) lists the monitors
  // themselves, so it loads again as it is without including the packs twice
  const { rules: _included, ...rest } = root;
  return { tree: { ...rest, monitors }, problems };
};
