/**
 * Where the `rules/` directory shipped with PanicMode is: at the package root, which
 * is two levels above this file in the sources (src/config/) and three in the build
 * (dist/src/config/, what `npm start` and an installed package run). Rule packs and
 * log filters (rules/filters/) are read from it at run time.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const shippedRulesDir: string =
  ['../../rules/', '../../../rules/'].map((up) => fileURLToPath(new URL(up, import.meta.url))).find((dir) => existsSync(`${dir}filters`)) ??
  fileURLToPath(new URL('../../rules/', import.meta.url));
