/**
 * The file_monitor's watcher on real trees: how long a recursive watch of this host's
 * /etc takes to set up and how many inotify watches it holds (one per directory, against
 * fs.inotify.max_user_watches), and how long after a write, a rename over a file and a
 * new file its change arrives (p50 / p99 / max over 300 changes in a temp tree).
 *
 *   PANICMODE_FROM_SOURCE=1 node --import tsx test/bench/file-monitor.bench.ts
 */
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { watchFiles$ } from '../../src/files/watch-files.js';
import type { FileChange } from '../../src/files/file-change.js';

const directories = (dir: string): number => {
  let n = 1;
  try {
    for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) n += directories(join(dir, e.name));
  } catch {
    // unreadable: not watched either
  }
  return n;
};

const t0 = performance.now();
const skipped: string[] = [];
const etc = watchFiles$({ paths: ['/etc'], recursive: true, onSkipped: (p) => skipped.push(p) }).subscribe();
const setupMs = performance.now() - t0;
etc.unsubscribe();
const limit = readFileSync('/proc/sys/fs/inotify/max_user_watches', 'utf8').trim();
console.log(`recursive /etc: ${directories('/etc')} directory watches (limit ${limit}), set up in ${setupMs.toFixed(1)} ms, ${skipped.length} paths skipped`);

const dir = mkdtempSync(join(tmpdir(), 'pm-filemon-bench-'));
try {
  const tree = join(dir, 'etc');
  mkdirSync(join(tree, 'sub'), { recursive: true });
  for (let i = 0; i < 100; i++) writeFileSync(join(tree, 'sub', `f${i}`), 'x\n');
  let pending: { path: string; kind: FileChange['kind']; resolve: () => void } | null = null;
  const sub = watchFiles$({ paths: [tree], recursive: true }).subscribe((c) => {
    if (pending && c.path === pending.path && c.kind === pending.kind) pending.resolve();
  });
  const latencies: Record<string, number[]> = { write: [], 'rename over': [], 'new file': [] };
  const measure = async (what: string, path: string, kind: FileChange['kind'], change: () => void) => {
    const seen = new Promise<void>((resolve) => (pending = { path, kind, resolve }));
    const start = performance.now();
    change();
    await seen;
    latencies[what]!.push(performance.now() - start);
  };
  for (let i = 0; i < 100; i++) {
    const f = join(tree, 'sub', `f${i}`);
    await measure('write', f, 'modified', () => appendFileSync(f, 'y\n'));
    await measure('rename over', f, 'modified', () => {
      writeFileSync(f + '.new', 'z\n');
      renameSync(f + '.new', f);
    });
    await measure('new file', join(tree, `n${i}`), 'added', () => writeFileSync(join(tree, `n${i}`), 'n\n'));
  }
  sub.unsubscribe();
  const q = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;
  for (const [what, xs] of Object.entries(latencies)) {
    console.log(`${what.padEnd(11)} → change event: p50 ${q(xs, 0.5).toFixed(2)} ms, p99 ${q(xs, 0.99).toFixed(2)} ms, max ${Math.max(...xs).toFixed(2)} ms (${xs.length} changes)`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
