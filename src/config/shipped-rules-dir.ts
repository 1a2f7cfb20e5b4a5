/**
 * Where the `rules/` directory shipped with PanicMode is: at the package root, found by
 * walking up from this module, which sits at a different depth in the sources
 * (src/config/), the compiled build (dist/src/config/) and the bundle (dist/bundle/) —
 * a fixed relative path found it only from one of them, and `npm start` then refused
 * every SSH monitor. Rule packs and log filters (rules/filters/) are read from it.
 */
import { existsSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const findShippedRulesDir = (): string => {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 6; up++, dir = dirname(dir)) {
    if (existsSync(join(dir, 'rules', 'filters'))) return join(dir, 'rules') + sep;
  }
  return fileURLToPath(new URL('../../rules/', import.meta.url));
};

export const shippedRulesDir: string = findShippedRulesDir();
