/**
 * A BOUNDED fork bomb for tests and the bench: a tree of `sh` processes that forks as
 * fast as it can until it holds exactly `size` leaves, each a `sleep` (so it lives at
 * most `lifetimeSec` even if every cleanup failed). Like a real bomb, every inner node
 * exits once it has forked its children, so the leaves are reparented (to init or a
 * subreaper): only the process group and the session still tie them together.
 *
 * It is spawned detached (its own session and process group: the sid is the root's
 * pid), marked in the environment (PANICMODE_TEST_BOMB=<marker>), and `kill()` SIGKILLs
 * its process group AND every process of its session, so even a member that left the
 * group dies. Only the session this bomb created is ever signalled.
 *
 * `scatter: { uid }` makes the bomb an attacker's: every member starts in a session
 * (and process group) of its own (`setsid`), so nothing but its user and name ties the
 * survivors together. It runs as `uid`, a numeric uid no one else on the host uses, and
 * its members are found, and killed, by that uid.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { parsePidStat, parseStatusUid, type ProcStat } from '../../src/collectors/processes.js';

// budget n, fan-out f: n ≤ 1 is a leaf; otherwise split n among min(f, n) children, then exit
const SCRIPT = `n=$1; f=$2; life=$3
if [ "$n" -le 1 ]; then exec sleep "$life"; fi
k=$f; if [ "$n" -lt "$k" ]; then k=$n; fi
i=0; left=$n
while [ $i -lt $k ]; do
  part=$(( left / (k - i) ))
  $SETSID sh "$0" $part $f $life &
  left=$(( left - part )); i=$(( i + 1 ))
done
exit 0
`;

/** Hard upper bound on a test bomb: the pid table and the other helpers' runs come first. */
export const MAX_BOMB_SIZE = 2_000;

export interface BoundedForkBomb {
  /** the session (and first process group) of the bomb: its root's pid */
  sid: number;
  marker: string;
  /** ms (performance.now) just before the spawn */
  startedAt: number;
  /** the bomb's processes alive now (zombies excluded) */
  members(): ProcStat[];
  /** SIGKILLs the group and the session, until none is alive (bounded); removes the script */
  kill(): Promise<void>;
  /**
   * After kill(): waits (at most `timeoutMs`) until its zombies are reaped too. An init
   * that reaps in batches (this VM's) lets a dead bomb's zombies sit for a second or two,
   * then drops them all at once: a host task count falling by thousands while the next
   * bomb grows would hide that bomb's rise.
   */
  reaped(timeoutMs?: number): Promise<boolean>;
}

const sessionMembers = (sid: number, withZombies = false): ProcStat[] => {
  const out: ProcStat[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    let text: string;
    try {
      text = readFileSync(`/proc/${e}/stat`, 'utf8');
    } catch {
      continue;
    }
    const p = parsePidStat(text);
    if (p && p.sid === sid && (withZombies || (p.state !== 'Z' && p.state !== 'X'))) out.push(p);
  }
  return out;
};

/** The live processes (zombies excluded) running as `uid`. */
const uidMembers = (uid: number, withZombies = false): ProcStat[] => {
  const out: ProcStat[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (parseStatusUid(readFileSync(`/proc/${e}/status`, 'utf8')) !== uid) continue;
      const p = parsePidStat(readFileSync(`/proc/${e}/stat`, 'utf8'));
      if (p && (withZombies || (p.state !== 'Z' && p.state !== 'X'))) out.push(p);
    } catch {
      /* exited */
    }
  }
  return out;
};

export const startBoundedForkBomb = (
  size: number,
  /** niceness: the bomb's, whatever the caller's (default the caller's) */
  opts: { fanout?: number; lifetimeSec?: number; niceness?: number; scatter?: { uid: number } } = {},
): BoundedForkBomb => {
  if (!Number.isInteger(size) || size < 1 || size > MAX_BOMB_SIZE) throw new RangeError(`bomb size ${size}: 1..${MAX_BOMB_SIZE}`);
  const dir = mkdtempSync(join(tmpdir(), 'panicmode-bomb-'));
  const script = join(dir, 'bomb.sh');
  writeFileSync(script, SCRIPT);
  if (opts.scatter) {
    if (!Number.isInteger(opts.scatter.uid) || opts.scatter.uid < 10_000) throw new RangeError(`scatter uid ${opts.scatter.uid}: one no one uses (10,000 and up)`);
    chmodSync(dir, 0o755); // readable by the bomb's user
    chmodSync(script, 0o644);
  }
  const marker = randomUUID();
  const startedAt = performance.now();
  const args = [script, String(size), String(opts.fanout ?? 2), String(opts.lifetimeSec ?? 60)];
  // nice(1) execs sh in place: the bomb's root keeps the pid (and so the session) spawned here
  const asUser = opts.scatter ? ['setpriv', '--reuid', String(opts.scatter.uid), '--regid', String(opts.scatter.uid), '--clear-groups'] : [];
  const command = [...asUser, 'sh', ...args];
  const [file, ...argv] = opts.niceness === undefined ? command : ['nice', '-n', String(opts.niceness - getPriority()), ...command];
  const child = spawn(file!, argv, {
    detached: true,
    stdio: 'ignore',
    env: { PATH: process.env.PATH, PANICMODE_TEST_BOMB: marker, SETSID: opts.scatter ? 'setsid' : '' },
  });
  const sid = child.pid!;
  child.unref();
  const find = (withZombies = false) => (opts.scatter ? uidMembers(opts.scatter.uid, withZombies) : sessionMembers(sid, withZombies));
  return {
    sid,
    marker,
    startedAt,
    members: () => find(),
    kill: async () => {
      for (let round = 0; round < 50; round++) {
        try {
          process.kill(-sid, 'SIGKILL');
        } catch {
          /* the group is gone */
        }
        const left = find();
        if (left.length === 0) break;
        for (const p of left) {
          try {
            process.kill(p.pid, 'SIGKILL');
          } catch {
            /* gone */
          }
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      rmSync(dir, { recursive: true, force: true });
    },
    reaped: async (timeoutMs = 5_000) => {
      const until = performance.now() + timeoutMs;
      while (find(true).length > 0) {
        if (performance.now() > until) return false;
        await new Promise((r) => setTimeout(r, 50));
      }
      return true;
    },
  };
};
