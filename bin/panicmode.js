#!/usr/bin/env -S node --max-semi-space-size=2 --v8-pool-size=1
// (A small young generation: V8 otherwise grows it to 16 MB semi-spaces, ~30 MB of RSS
// a long-running agent does not need. One V8 worker thread instead of four: an agent has
// little to compile or collect in the background, and each thread costs ~0.5 MB.)
// Runs the build (what the published package ships and `npm start` builds): the bundle
// `dist/bundle/main.js` (scripts/bundle.mjs: ~10 MB less RSS), or the compiled modules
// `dist/src/cli/main.js` when there is no bundle or it is older than them (a bare `tsc`).
// In a source checkout without a build it runs the TypeScript sources through tsx, a
// development dependency: where tsx is not installed that says so plainly.
// PANICMODE_FROM_SOURCE=1 forces the sources (the test suite sets it, so a stale
// build never stands in for the code under test).
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

// `run` installs its signal handlers once its modules are loaded; until then a SIGHUP
// (Node's default: die) would kill an agent that is only starting. None is needed for it:
// the config is read after this point, so it is already the one a reload would read.
if (process.argv[2] === 'run') process.on('SIGHUP', () => {});

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'dist', 'src', 'cli', 'main.js');
const bundle = join(root, 'dist', 'bundle', 'main.js');
let entry;
if (existsSync(built) && !process.env.PANICMODE_FROM_SOURCE) {
  entry = existsSync(bundle) && statSync(bundle).mtimeMs >= statSync(built).mtimeMs ? bundle : built;
} else {
  let register;
  try {
    ({ register } = await import('tsx/esm/api'));
  } catch (err) {
    if (err?.code !== 'ERR_MODULE_NOT_FOUND') throw err;
    const why = process.env.PANICMODE_FROM_SOURCE ? 'PANICMODE_FROM_SOURCE is set' : `there is no build at ${built}`;
    process.stderr.write(
      `panicmode: PANICMODE_ERR_CLI_NO_BUILD: ${why}, and running the TypeScript sources needs tsx, ` +
        'a development dependency that is not installed.\n' +
        '  In a source checkout: npm install && npm run build   (or npm start, which builds first)\n',
    );
    process.exit(1);
  }
  register();
  entry = join(root, 'src', 'cli', 'main.ts');
}
const { main } = await import(pathToFileURL(entry).href);
const code = await main(process.argv.slice(2));
if (typeof code === 'number') process.exitCode = code;
