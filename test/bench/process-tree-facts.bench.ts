/**
 * What the process anomaly facts (zombie parents, largest trees) add to one read of
 * the process table: processTreeFacts over synthetic tables shaped like real hosts —
 * services with workers, login sessions a few levels deep, a container init with
 * unreaped zombies — and one with a 2,000-process fork tree, each read against the one
 * before (sizes and growth; the previous read's sizes are remembered). Prints ms per table and
 * µs per process (the read itself costs ~12 µs per process, see processes.ts).
 *
 *   node --import tsx test/bench/process-tree-facts.bench.ts [--procs N] [--runs N]
 */
import { processTreeFacts } from '../../src/collectors/process-tree-facts.js';
import type { ProcStat } from '../../src/collectors/processes.js';

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : Number(process.argv[i + 1]);
};
const PROCS = arg('procs', 5000);
const RUNS = arg('runs', 200);

const proc = (pid: number, ppid: number, name: string, state = 'S'): ProcStat => ({ pid, ppid, pgid: pid, sid: pid, name, state, cpuTicks: 0, startTicks: pid, rssBytes: 0 });

/** init, kthreadd with kernel threads, services with workers, sessions sshd → sshd → bash → tools, zombies under init. */
const host = (n: number, bomb: number): Map<number, ProcStat> => {
  const t = new Map<number, ProcStat>();
  const add = (p: ProcStat) => t.set(p.pid, p);
  add(proc(1, 0, 'init'));
  add(proc(2, 0, 'kthreadd'));
  let pid = 3;
  for (let i = 0; i < n * 0.2; i++) add(proc(pid++, 2, 'kworker'));
  for (let i = 0; i < n * 0.02; i++) add(proc(pid++, 1, 'sh', 'Z'));
  while (t.size < n - bomb) {
    const service = pid++;
    add(proc(service, 1, 'svc'));
    for (let w = 0; w < 8; w++) add(proc(pid++, service, 'worker'));
    const sshd = pid++;
    add(proc(sshd, 1, 'sshd'));
    const session = pid++;
    add(proc(session, sshd, 'sshd'));
    const bash = pid++;
    add(proc(bash, session, 'bash'));
    for (let k = 0; k < 3; k++) add(proc(pid++, bash, 'tool'));
  }
  if (bomb > 0) {
    const root = pid++;
    add(proc(root, 1, 'bomb'));
    let level = [root];
    while (t.size < n) {
      const next: number[] = [];
      for (const parent of level) for (let k = 0; k < 2 && t.size < n; k++) { add(proc(pid, parent, 'bomb')); next.push(pid++); }
      level = next;
    }
  }
  return t;
};

for (const [label, table] of [
  [`${PROCS} processes`, host(PROCS, 0)],
  [`${PROCS} processes, 2,000 of them a fork tree`, host(PROCS, 2000)],
] as const) {
  // each run a new read (a copy of the table) against the previous one, as the collector calls it
  const reads = Array.from({ length: 2 }, () => new Map(table));
  for (let i = 0; i < 20; i++) processTreeFacts(new Map(table), reads[0]); // warm up
  const copies = Array.from({ length: RUNS }, () => new Map(table));
  const t0 = performance.now();
  let facts = processTreeFacts(copies[0]!, reads[1]);
  for (let i = 1; i < RUNS; i++) facts = processTreeFacts(copies[i]!, copies[i - 1]);
  const ms = (performance.now() - t0) / RUNS;
  console.log(`${label}: ${ms.toFixed(2)} ms per table, ${((ms * 1000) / table.size).toFixed(2)} µs per process; zombies ${facts.zombieCount}, largest tree ${facts.trees[0]?.name} ${facts.trees[0]?.descendants}`);
}
