#!/usr/bin/env -S node --max-semi-space-size=2
// (A small young generation: V8 otherwise grows it to 16 MB semi-spaces, ~30 MB of RSS
// a long-running agent does not need.)
// Runs the built CLI when `npm run build` has produced it, else the TypeScript
// sources through tsx, so `npx panicmode` works straight after `npm install`.
// PANICMODE_FROM_SOURCE=1 forces the sources (the test suite sets it, so a stale
// build never stands in for the code under test).
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

// `run` installs its signal handlers once its modules are loaded; until then a SIGHUP
// (Node's default: die) would kill an agent that is only starting. None is needed for it:
// the config is read after this point, so it is already the one a reload would read.
if (process.argv[2] === 'run') process.on('SIGHUP', () => {});

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'dist', 'src', 'cli', 'main.js');
let entry;
if (existsSync(built) && !process.env.PANICMODE_FROM_SOURCE) {
  entry = built;
} else {
  const { register } = await import('tsx/esm/api');
  register();
  entry = join(root, 'src', 'cli', 'main.ts');
}
const { main } = await import(pathToFileURL(entry).href);
const code = await main(process.argv.slice(2));
if (typeof code === 'number') process.exitCode = code;
