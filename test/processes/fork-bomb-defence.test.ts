/**
 * The fork-bomb defence against REAL bounded fork bombs (test/processes/bounded-fork-bomb.ts):
 * 300 processes at most, each a `sleep` that ends by itself within 60 s, in a session
 * of its own that is SIGKILLed in `finally` whatever happens.
 *
 * Only ever this test's bomb: the defence is given a `spare` that spares every process
 * outside the bomb's session, so a tree of another test run on this machine (or the
 * runner itself) can be found, but never signalled.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { asyncScheduler, filter, firstValueFrom, take, timeout, toArray } from 'rxjs';
import { createHost } from '../../src/host/host.js';
import { parsePidStat, parsePidStatus, parseStatusUid, type ProcStat } from '../../src/collectors/processes.js';
import type { Host } from '../../src/host/host.js';
import { forkBombDefence, type ForkBombDefenceDeps, handedOutAt, handedOutBetween, ownLineage, parseLastPid, parseUptimeSeconds } from '../../src/processes/fork-bomb-defence.js';
import type { ForkBombConfig } from '../../src/config/schema.js';
import type { ActionRunRecord } from '../../src/actions/executor.js';
import type { Incident } from '../../src/model/incident.js';
import { ms } from '../../src/config/duration.js';
import { createLogger } from '../../src/log/logger.js';
import { startBoundedForkBomb, type BoundedForkBomb } from './bounded-fork-bomb.js';

const host = createHost();
const waitUntil = async (ok: () => boolean, ms: number): Promise<void> => {
  for (const end = Date.now() + ms; !ok() && Date.now() < end; ) await new Promise((r) => setTimeout(r, 50));
};
const logger = createLogger('test', { level: 'error', write: () => undefined });

/** Spares every process that is not in `bomb`'s session (from the table the defence read, else its stat). */
const onlyIn = (bomb: () => BoundedForkBomb | null, table: ReadonlyMap<number, ProcStat>) => (pid: number): string | null => {
  const b = bomb();
  if (!b) return 'no test bomb yet';
  try {
    const p = table.get(pid) ?? parsePidStat(host.readProcSync(pid, 'stat'));
    return p && p.sid === b.sid ? null : 'not this test’s bomb';
  } catch {
    return null; // exited: no signal can reach it
  }
};

/** Test settings: a loaded 2-core machine grows a shell tree at ~150 processes/s. */
const options = (over: Partial<ForkBombConfig> = {}): ForkBombConfig => ({
  enabled: true,
  rate: 40,
  interval: ms(100),
  min_tree_size: 50,
  kill: true,
  grace: ms(0),
  ...over,
});

/** The host, with what the defence reads and signals written down in order. */
const recording = () => {
  const events: string[] = [];
  const recorded: Host = {
    ...host,
    readProcSync: (...parts) => (events.push(`read ${parts.join('/')}`), host.readProcSync(...parts)),
    kill: (pid, signal) => (events.push(`kill ${pid} ${String(signal)}`), host.kill(pid, signal)),
  };
  return { events, host: recorded };
};

/** Spares every process not running as `uid` (from the table the defence read, else its status). */
const onlyUser = (uid: number, table: ReadonlyMap<number, ProcStat & { uid?: number }>) => (pid: number): string | null => {
  try {
    return (table.get(pid)?.uid ?? parseStatusUid(host.readProcSync(pid, 'status'))) === uid ? null : 'not this test’s bomb';
  } catch {
    return null; // exited: no signal can reach it
  }
};

const run = async (over: Partial<ForkBombConfig>, size: number, waitMs: number, dryRun = false, on: Host = host, scatterUid?: number, more: Pick<ForkBombDefenceDeps, 'isFrozen' | 'onKilled'> = {}) => {
  let bomb: BoundedForkBomb | null = null;
  const frozen: { pids: number[]; reason: string }[] = [];
  const runs: ActionRunRecord[] = [];
  const defence = forkBombDefence({
    host: on,
    options: options(over),
    dryRun,
    spareIn: (table) => (scatterUid === undefined ? onlyIn(() => bomb, table) : onlyUser(scatterUid, table)),
    onFrozen: (pids, reason) => frozen.push({ pids, reason }),
    record: (r) => runs.push(r),
    logger,
    scheduler: asyncScheduler,
    ...more,
  });
  // Incidents about other trees (all spared) may come too: wait for ours, by its process group (the bomb's sid),
  // or for a scattered bomb by its members (every pid it names runs as the bomb's user)
  const ours = (i: Incident) =>
    bomb !== null &&
    (scatterUid === undefined ? i.description.includes(`process group ${bomb.sid} `) : /killed|frozen|dry run/.test(i.description) && !i.description.includes('not touched'));
  const ours$ = defence.incidents$.pipe(
    filter(ours),
    take(1),
    timeout(waitMs),
    toArray(),
  );
  const result = firstValueFrom(ours$).catch((err) => err as Error);
  await new Promise((r) => setTimeout(r, 250)); // the defence has a baseline
  bomb = startBoundedForkBomb(size, { lifetimeSec: 60, ...(scatterUid === undefined ? {} : { scatter: { uid: scatterUid } }) });
  const b = bomb;
  // runs about this bomb only (other trees on the machine are spared, but reported)
  const ownRuns = () => runs.filter((x) => (scatterUid === undefined ? x.target?.includes(`process group ${b.sid} `) : x.outcome !== 'skipped'));
  return { bomb: b, result, frozen, ownRuns, defence };
};

/**
 * Kills the test's bomb, waits for its zombies to be reaped, and for the defence's
 * response to end. The wait: this VM's init reaps in batches, and a dead bomb's zombies
 * dropping at once make the host's task count fall while the next test's bomb grows,
 * hiding its rise from the trigger.
 */
const finish = async (r: { bomb: BoundedForkBomb; defence: { settled(): Promise<void> } }): Promise<void> => {
  await r.bomb.kill();
  await r.bomb.reaped();
  await r.defence.settled();
};

describe('fork-bomb defence on real processes', { timeout: 60_000 }, () => {
  test('kill: false — the whole bomb is frozen (every member reads T), handed to onFrozen, nothing else is', async () => {
    const r = await run({ kill: false }, 300, 20_000);
    try {
      const got = await r.result;
      assert.ok(Array.isArray(got), `an incident: ${String(got)}`);
      const incident = got[0]!;
      assert.equal(incident.metadata.monitorType, 'anomaly:fork_bomb');
      assert.equal(incident.severity, 'critical');
      assert.match(incident.description, /frozen in \d+ ms/);
      const members = r.bomb.members();
      // ≥ 50 alive when found; an inner node already exiting when stopped still exits
      assert.ok(members.length >= 40, `the bomb had grown to ${members.length}`);
      const running = members.filter((p) => p.state !== 'T');
      assert.deepEqual(running.map((p) => `${p.pid} ${p.name} ${p.state}`), [], 'every member stopped');
      // It stays frozen: nothing new appears
      await new Promise((res) => setTimeout(res, 300));
      assert.equal(r.bomb.members().length, members.length);
      assert.equal(r.frozen.length, 1);
      assert.deepEqual(new Set(r.frozen[0]!.pids), new Set(members.map((p) => p.pid)));
      assert.deepEqual(r.ownRuns().map((x) => [x.action, x.outcome]), [['freeze_tree', 'ok']]);
    } finally {
      await finish(r);
    }
  });

  test('kill: true — frozen, then killed: no member survives, runs recorded', async () => {
    const r = await run({ kill: true }, 300, 20_000);
    try {
      const got = await r.result;
      assert.ok(Array.isArray(got), `an incident: ${String(got)}`);
      const incident = got[0]!;
      assert.match(incident.description, /killed in \d+ ms, 0 survive/);
      // the leaves were reparented away from the bomb's root: found by their process group
      assert.deepEqual(r.bomb.members().map((p) => `${p.pid} ${p.name} ${p.state}`), [], 'no member alive');
      assert.deepEqual(r.ownRuns().map((x) => [x.action, x.outcome]), [['freeze_tree', 'ok'], ['kill_tree', 'ok']]);
      assert.deepEqual(r.frozen, [], 'nothing left frozen');
    } finally {
      await finish(r);
    }
  });

  test('kill with a grace: the incident and the frozen list come at once, the kill when the grace ends, sparing what an operator thawed', async () => {
    const thawedByOperator = new Set<number>();
    const killed: number[][] = [];
    const r = await run({ kill: true, grace: ms(2000) }, 300, 20_000, false, host, undefined, {
      isFrozen: (pid) => !thawedByOperator.has(pid),
      onKilled: (pids) => killed.push(pids),
    });
    try {
      const got = await r.result;
      assert.ok(Array.isArray(got), `an incident: ${String(got)}`);
      const raisedAt = Date.now();
      assert.match(got[0]!.description, /frozen in \d+ ms.*; killed in 2s unless thawed \(panicmode ctl thaw\)/);
      const members = r.bomb.members();
      assert.ok(members.length >= 40, `the bomb had grown to ${members.length}`);
      assert.deepEqual(members.filter((p) => p.state !== 'T').map((p) => `${p.pid} ${p.name} ${p.state}`), [], 'all frozen, none killed yet');
      assert.equal(r.frozen.length, 1, 'listed as frozen at once (ctl frozen)');
      assert.deepEqual(new Set(r.frozen[0]!.pids), new Set(members.map((p) => p.pid)));
      // an operator thaws one leaf (a sleep: it forks nothing) during the grace
      const leaf = members.find((p) => p.name === 'sleep')!;
      thawedByOperator.add(leaf.pid);
      process.kill(leaf.pid, 'SIGCONT');
      await waitUntil(() => killed.length > 0, 10_000); // the kill, once the grace is over
      await r.defence.settled();
      assert.ok(Date.now() - raisedAt >= 1500, `killed ${Date.now() - raisedAt} ms after the incident`);
      assert.deepEqual(r.bomb.members().map((p) => p.pid), [leaf.pid], 'only the thawed leaf lives');
      assert.notEqual(r.bomb.members()[0]!.state, 'T');
      assert.deepEqual(r.ownRuns().map((x) => [x.action, x.outcome]), [['freeze_tree', 'ok'], ['kill_tree', 'ok']]);
      assert.equal(killed.length, 1);
      assert.deepEqual(new Set(killed[0]), new Set(members.map((p) => p.pid).filter((p) => p !== leaf.pid)), 'the registry forgets the killed');
    } finally {
      await finish(r);
    }
  });

  test('kill with a grace, the agent stopping meanwhile: the waiting kill is dropped, the tree stays frozen and listed', async () => {
    const r = await run({ kill: true, grace: ms(1500) }, 300, 20_000);
    try {
      const got = await r.result;
      assert.ok(Array.isArray(got), `an incident: ${String(got)}`);
      r.defence.cancelWaitingKills(); // what the agent's stop does
      await new Promise((res) => setTimeout(res, 2500));
      await r.defence.settled();
      const members = r.bomb.members();
      assert.ok(members.length >= 40, `${members.length} members left`);
      assert.deepEqual(members.filter((p) => p.state !== 'T').map((p) => `${p.pid} ${p.state}`), [], 'still all frozen');
      assert.deepEqual(r.ownRuns().map((x) => [x.action, x.outcome]), [['freeze_tree', 'ok']], 'no kill');
      assert.deepEqual(new Set(r.frozen[0]!.pids), new Set(members.map((p) => p.pid)), 'listed');
    } finally {
      await finish(r);
    }
  });

  test('found from the status files and stopped as a group before the stat line of any member is read', async () => {
    // a member's stat waits while it forks or execs (the reason): the first stat read of
    // the bomb must come after its process group was stopped
    const rec = recording();
    const r = await run({ kill: true }, 300, 20_000, false, rec.host);
    try {
      const got = await r.result;
      assert.ok(Array.isArray(got), `an incident: ${String(got)}`);
      // the bomb's members: every process the defence signalled one by one (it only ever signals the bomb)
      const members = new Set(rec.events.map((e) => /^kill (\d+) /.exec(e)?.[1]).filter((p) => p !== undefined));
      const young = (e: string) => members.has(/^read (\d+)\/(stat|status)$/.exec(e)?.[1] ?? '');
      const groupStop = rec.events.indexOf(`kill -${r.bomb.sid} SIGSTOP`);
      const firstStat = rec.events.findIndex((e) => young(e) && e.endsWith('/stat'));
      assert.ok(groupStop >= 0, `the group was stopped in one signal: ${rec.events.filter((e) => e.startsWith('kill -')).join(', ')}`);
      assert.ok(rec.events.slice(0, groupStop).some((e) => young(e) && e.endsWith('/status')), 'found from status files');
      assert.ok(firstStat === -1 || firstStat > groupStop, `stat read at ${firstStat}, group stopped at ${groupStop}: ${rec.events.slice(Math.max(0, firstStat - 2), firstStat + 2).join(', ')}`);
      assert.deepEqual(r.bomb.members().map((p) => `${p.pid} ${p.name} ${p.state}`), [], 'no member alive');
    } finally {
      await finish(r);
    }
  });

  test('a scattered bomb (every member in a session of its own, parents gone) is found by user and name, frozen and killed', async () => {
    const uid = 61_000 + (process.pid % 4_000); // a uid no one on this host runs as
    const r = await run({ kill: true }, 300, 20_000, false, host, uid);
    try {
      const got = await r.result;
      assert.ok(Array.isArray(got), `an incident: ${String(got)}`);
      assert.match(got[0]!.description, /killed in \d+ ms/);
      // one incident may not catch every straggler forked between the read and the stops:
      // the next trigger finds what grows on; in the end none of the bomb is alive
      await waitUntil(() => r.bomb.members().length === 0, 10_000);
      assert.deepEqual(r.bomb.members().map((p) => `${p.pid} ${p.name} ${p.state}`), [], 'no member alive');
    } finally {
      await finish(r);
    }
  });

  test('dry run: the bomb is found and reported, nothing is signalled', async () => {
    const r = await run({ kill: true }, 150, 20_000, true);
    try {
      const got = await r.result;
      assert.ok(Array.isArray(got), `an incident: ${String(got)}`);
      assert.match(got[0]!.description, /dry run: would freeze and kill \d+ processes/);
      assert.deepEqual(r.ownRuns().map((x) => [x.action, x.outcome]), [['freeze_tree', 'dry_run']]);
      assert.deepEqual(r.bomb.members().filter((p) => p.state === 'T').map((p) => p.pid), [], 'none stopped');
      assert.deepEqual(r.frozen, []);
    } finally {
      await finish(r);
    }
  });

  test('a burst under min_tree_size is not a bomb: nothing is signalled', async () => {
    const r = await run({ kill: true, min_tree_size: 100 }, 40, 3_000);
    try {
      const got = await r.result;
      assert.ok(got instanceof Error && got.name === 'TimeoutError', `no incident: ${JSON.stringify(got)}`);
      await new Promise((res) => setTimeout(res, 200));
      const members = r.bomb.members();
      assert.equal(members.filter((p) => p.name === 'sleep').length, 40, 'all 40 alive');
      assert.deepEqual(members.filter((p) => p.state === 'T'), []);
      assert.deepEqual(r.ownRuns(), []);
    } finally {
      await finish(r);
    }
  });
});

describe('fork-bomb defence: pure parts', () => {
  test('uptime parses; junk is NaN', () => {
    assert.equal(parseUptimeSeconds('12345.67 4567.89\n'), 12345.67);
    assert.ok(Number.isNaN(parseUptimeSeconds('')));
  });

  test('last pid from loadavg; pids handed out since, across the wrap at pid_max', () => {
    assert.equal(parseLastPid('0.80 0.78 0.86 2/97 19585\n'), 19585);
    assert.ok(Number.isNaN(parseLastPid('')));
    assert.deepEqual([100, 101, 150, 151].map((p) => handedOutBetween(p, 100, 150)), [false, true, true, false]);
    // wrapped: from 32700 past 32767 to 40
    assert.deepEqual([32700, 32701, 32767, 1, 40, 41, 500].map((p) => handedOutBetween(p, 32700, 40)), [false, true, true, true, true, false, false]);
    // nothing handed out: nothing is new
    assert.equal(handedOutBetween(100, 100, 100), false);
  });

  test('when a pid was handed out, at the earliest, from the last pids read at known times', () => {
    const marks = [
      { lastPid: 100, at: 1_000 },
      { lastPid: 150, at: 1_100 },
      { lastPid: 400, at: 1_200 },
    ];
    // 101..150 came between the readings at 1,000 and 1,100: dated 1,000, the earliest
    assert.deepEqual([101, 150, 151, 400, 401, 90].map((p) => handedOutAt(marks, p)), [1_000, 1_000, 1_100, 1_100, 1_200, 1_200]);
    // across the wrap at pid_max
    assert.equal(handedOutAt([{ lastPid: 32700, at: 0 }, { lastPid: 40, at: 100 }], 5), 0);
    assert.ok(Number.isNaN(handedOutAt([], 5)));
  });

  test('status: the stat-line facts, ids from the NS fields, the name unescaped; junk is null', () => {
    const text = 'Name:\tmy\\nworker\nUmask:\t0022\nState:\tT (stopped)\nTgid:\t700\nNgid:\t0\nPid:\t700\nPPid:\t1\nTracerPid:\t0\nUid:\t1000\t1000\t1000\t1000\nNSpid:\t700\t3\nNSpgid:\t650\t1\nNSsid:\t600\t1\nVmRSS:\t    2048 kB\n';
    assert.deepEqual(parsePidStatus(text), { pid: 700, ppid: 1, pgid: 650, sid: 600, name: 'my\nworker', state: 'T', rssBytes: 2048 * 1024, uid: 1000 });
    // a kernel thread: no VmRSS
    assert.equal(parsePidStatus('Name:\tkworker/0:1\nState:\tI (idle)\nPPid:\t2\nUid:\t0\t0\t0\t0\nNSpid:\t9\nNSpgid:\t0\nNSsid:\t0\n')?.rssBytes, 0);
    assert.equal(parsePidStatus(''), null);
    assert.equal(parsePidStatus('Name:\tx\nState:\tS (sleeping)\nPPid:\t1\n'), null, 'no NS fields');
  });

  test('own lineage: PID 1, itself, every ancestor', () => {
    const p = (pid: number, ppid: number) => [pid, { pid, ppid, pgid: pid, sid: pid, name: 'x', state: 'S', cpuTicks: 0, startTicks: 0, rssBytes: 0 }] as const;
    const table = new Map([p(1, 0), p(10, 1), p(20, 10), p(30, 20), p(40, 1)]);
    const lineage = ownLineage((pid) => table.get(pid), 30);
    assert.deepEqual([...lineage.keys()].sort((a, b) => a - b), [1, 10, 20, 30]);
    assert.equal(lineage.get(30), 'PanicMode itself');
  });
});
