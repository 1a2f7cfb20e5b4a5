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
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { parsePidStat, type ProcStat } from '../../src/collectors/processes.js';

// budget n, fan-out f: n ≤ 1 is a leaf; otherwise split n among min(f, n) children, then exit
const SCRIPT = `n=$1; f=$2; life=$3
if [ "$n" -le 1 ]; then exec sleep "$life"; fi
k=$f; if [ "$n" -lt "$k" ]; then k=$n; fi
i=0; left=$n
while [ $i -lt $k ]; do
  part=$(( left / (k - i) ))
  sh "$0" $part $f $life &
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

export const startBoundedForkBomb = (
  size: number,
  /** niceness: the bomb's, whatever the caller's (default the caller's) */
  opts: { fanout?: number; lifetimeSec?: number; niceness?: number } = {},
): BoundedForkBomb => {
  if (!Number.isInteger(size) || size < 1 || size > MAX_BOMB_SIZE) throw new RangeError(`bomb size ${size}: 1..${MAX_BOMB_SIZE}`);
  const dir = mkdtempSync(join(tmpdir(), 'panicmode-bomb-'));
  const script = join(dir, 'bomb.sh');
  writeFileSync(script, SCRIPT);
  const marker = randomUUID();
  const startedAt = performance.now();
  const args = [script, String(size), String(opts.fanout ?? 2), String(opts.lifetimeSec ?? 60)];
  // nice(1) execs sh in place: the bomb's root keeps the pid (and so the session) spawned here
  const [file, argv] = opts.niceness === undefined ? ['sh', args] : ['nice', ['-n', String(opts.niceness - getPriority()), 'sh', ...args]];
  const child = spawn(file, argv, {
    detached: true,
    stdio: 'ignore',
    env: { PATH: process.env.PATH, PANICMODE_TEST_BOMB: marker },
  });
  const sid = child.pid!;
  child.unref();
  return {
    sid,
    marker,
    startedAt,
    members: () => sessionMembers(sid),
    kill: async () => {
      for (let round = 0; round < 50; round++) {
        try {
          process.kill(-sid, 'SIGKILL');
        } catch {
          /* the group is gone */
        }
        const left = sessionMembers(sid);
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
      while (sessionMembers(sid, true).length > 0) {
        if (performance.now() > until) return false;
        await new Promise((r) => setTimeout(r, 50));
      }
      return true;
    },
  };
};
