/**
 * `npm run bench`: runs every `test/bench/*.bench.ts` in turn (each its own process, so
 * one bench's heap never weighs on the next), or only those whose name contains one of
 * the arguments, and prints each one's figures under its name. `npm run bench` builds
 * first (the agent benches run the build, as a deployment does).
 *
 *   npm run bench                      # all of them (the soak alone takes 10 minutes)
 *   npm run bench -- footprint replay  # the footprint comparison and the replay bench
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const dir = join('test', 'bench');
const filters = process.argv.slice(2);
const benches = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
if (benches.length === 0) {
  console.error(`no bench in ${dir} matches ${filters.join(', ')}`);
  process.exit(2);
}
let failed = 0;
for (const f of benches) {
  console.log(`\n── ${f}`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(dir, f)], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    console.log(`── ${f} exited ${r.status ?? r.signal}`);
  }
}
process.exitCode = failed > 0 ? 1 : 0;
