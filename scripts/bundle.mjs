// The agent as a bundle: `npm run build` compiles the TypeScript (tsc, into dist/) and
// then this bundles dist/src/cli/main.js into dist/bundle/ (what bin/panicmode.js runs).
// `node scripts/bundle.mjs <dir>` bundles another tsc output dir into <dir>/bundle (tests).
//
// Why: Node keeps every module it ever loaded. The unbundled agent loads all of rxjs's
// ~400 CommonJS files, kysely's ~260 modules (every SQL dialect) and all of fp-ts that
// io-ts touches, for ~10 MB of RSS an idle agent never uses. Bundled with tree shaking
// (rxjs taken from its ES module build so unused operators fall away), the idle agent
// measured 60 MB instead of 70 MB (test/bench/footprint.bench.ts). Each command stays its
// own lazily loaded chunk; channel libraries (got, nodemailer) are loaded only when a
// configured channel sends. better-sqlite3 stays external: it is a native addon.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { join } from 'node:path';

const compiled = process.argv[2] ?? 'dist';
rmSync(join(compiled, 'bundle'), { recursive: true, force: true });
await build({
  entryPoints: [join(compiled, 'src', 'cli', 'main.js')],
  outdir: join(compiled, 'bundle'),
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['better-sqlite3'],
  alias: { rxjs: './node_modules/rxjs/dist/esm' }, // rxjs/testing → dist/esm/testing, too
  mainFields: ['module', 'main'],
  // Dead branches go; names and lines stay readable in stack traces.
  minifySyntax: true,
  // CommonJS dependencies bundled into ES modules still call require() for Node built-ins.
  banner: { js: "import { createRequire as __panicmodeCreateRequire } from 'node:module'; const require = __panicmodeCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
