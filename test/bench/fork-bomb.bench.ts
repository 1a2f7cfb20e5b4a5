/**
 * The fork-bomb figure: a bounded fork bomb (test/processes/bounded-fork-bomb.ts) that
 * grows to --size processes (default 2,000) as fast as this machine lets `sh` fork,
 * against the fork-bomb defence with the default `anomaly.fork_bomb` settings (rate
 * 200/s, interval 100 ms, min_tree_size 50, kill). Prints, from the bomb's spawn:
 *  - how fast the bomb grows alone (a run without the defence, killed at the end),
 *  - when the bomb was found (trigger, then the read of the processes started within
 *    the window), when the whole tree was frozen (a read and its confirmation found
 *    none running), how many members it had then, when all were gone (killed and
 *    verified),
 *  - survivors (must be 0: any member alive after the kill).
 *
 * Only the bomb is ever signalled: the defence's `spare` spares every process outside
 * the bomb's session, and the bomb's session is SIGKILLed at the end whatever happens.
 *
 *   node --import tsx test/bench/fork-bomb.bench.ts [--size 2000] [--runs 3] [--rate 200] [--nice -5]
 */
import { setPriority, cpus } from 'node:os';
import { asyncScheduler, filter, firstValueFrom, take, timeout } from 'rxjs';
import { createHost } from '../../src/host/host.js';
import { parsePidStat } from '../../src/collectors/processes.js';
import { ForkBomb, type ForkBombConfig } from '../../src/config/schema.js';
import { forkBombDefence } from '../../src/processes/fork-bomb-defence.js';
import type { ActionRunRecord } from '../../src/actions/executor.js';
import { createLogger } from '../../src/log/logger.js';
import { startBoundedForkBomb, type BoundedForkBomb } from '../processes/bounded-fork-bomb.js';

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : Number(process.argv[i + 1]);
};
const SIZE = arg('size', 2_000);
// the shipped systemd unit runs PanicMode at Nice=-5 (examples/panicmode.service); the bomb runs at 0
const NICE = arg('nice', -5);
const RUNS = arg('runs', 3);
const defaults = (ForkBomb.decode({}) as { right: ForkBombConfig }).right;
const options = { ...defaults, rate: arg('rate', defaults.rate) };
const host = createHost();
setPriority(NICE);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Alone: how long the bomb takes to reach its size here. */
const growthAlone = async (): Promise<number> => {
  const bomb = startBoundedForkBomb(SIZE, { lifetimeSec: 60, niceness: 0 });
  try {
    for (;;) {
      const n = bomb.members().filter((p) => p.name === 'sleep').length;
      if (n >= SIZE) return performance.now() - bomb.startedAt;
      if (performance.now() - bomb.startedAt > 60_000) return NaN;
      await sleep(10);
    }
  } finally {
    await bomb.kill();
    await bomb.reaped();
  }
};

const defended = async () => {
  let bomb: BoundedForkBomb | null = null;
  const runs: (ActionRunRecord & { at: number })[] = [];
  const defence = forkBombDefence({
    host,
    options,
    dryRun: false,
    // the sid from the table the defence read (as the agent's rule reads its facts there first)
    spareIn: (table) => (pid) => {
      if (!bomb) return 'no bomb yet';
      try {
        return (table.get(pid) ?? parsePidStat(host.readProcSync(pid, 'stat')))?.sid === bomb.sid ? null : 'not the bench bomb';
      } catch {
        return null; // exited: no signal can reach it
      }
    },
    record: (r) => runs.push({ ...r, at: performance.now() }),
    logger: createLogger('bench', { level: process.env.BENCH_DEBUG ? 'debug' : 'error', write: (l) => (process.env.BENCH_DEBUG ? console.error(l) : undefined) }),
    scheduler: asyncScheduler,
  });
  const incident = firstValueFrom(
    defence.incidents$.pipe(filter((i) => bomb !== null && i.description.includes(`process group ${bomb.sid} `)), take(1), timeout(60_000)),
  );
  await sleep(300); // a baseline for the task count
  bomb = startBoundedForkBomb(SIZE, { lifetimeSec: 60, niceness: 0 });
  const b = bomb;
  try {
    await incident;
    const own = runs.filter((r) => r.target?.includes(`process group ${b.sid} `));
    const freeze = own.find((r) => r.action === 'freeze_tree')!;
    const kill = own.find((r) => r.action === 'kill_tree');
    const survivors = b.members().length;
    // the freeze began when the bomb was found (trigger, then the read of the new
    // processes); it was frozen `frozen in N ms` later (the census read comes after)
    const foundMs = freeze.at - freeze.duration_ms - b.startedAt;
    return {
      foundMs,
      frozenMs: foundMs + Number(/frozen in (\d+) ms/.exec(freeze.message ?? '')?.[1]),
      frozenMembers: Number(/^(\d+) frozen/.exec(freeze.message ?? '')?.[1]),
      freezeMessage: freeze.message,
      goneMs: kill ? kill.at - b.startedAt : NaN,
      killMessage: kill?.message,
      survivors,
    };
  } finally {
    await b.kill();
    await b.reaped();
    await defence.settled();
  }
};

console.log(`fork bomb of ${SIZE} processes (sh, fan-out 2, inner nodes exit), defence: rate ${options.rate}/s, interval ${options.interval} ms, min_tree_size ${options.min_tree_size}, kill ${options.kill}`);
console.log(`machine: ${cpus().length} cores, load ${host.readProcSync('loadavg').trim()}; defence at nice ${NICE} (the shipped unit: -5), bomb at 0`);
for (let i = 1; i <= RUNS; i++) {
  const alone = await growthAlone();
  await sleep(500);
  const d = await defended();
  console.log(
    `run ${i}: alone: ${SIZE} processes in ${alone.toFixed(0)} ms | defended: whole tree frozen at ${d.frozenMs.toFixed(0)} ms ` +
      `(${d.frozenMembers} members then), all gone at ${d.goneMs.toFixed(0)} ms, survivors ${d.survivors}`,
  );
  console.log(`       found at ${d.foundMs.toFixed(0)} ms; freeze: ${d.freezeMessage}; kill: ${d.killMessage}`);
  await sleep(500);
}
