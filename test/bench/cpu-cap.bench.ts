/**
 * rate_limit's CPU caps on a real burner (a shell busy loop): its share of one CPU
 * before and while capped, for each method the host allows:
 *  - cgroup v1 `cpu.cfs_quota_us` (a cgroup made for the bench under /sys/fs/cgroup/cpu),
 *  - cgroup v2 `cpu.max` (only where the v2 tree has the cpu controller),
 *  - the SIGSTOP/SIGCONT duty cycle (the burner left in its own cgroup), with the time
 *    it spent stopped and what the cycle cost this process in CPU.
 * On a machine busy with other work the burner's free share is under 100 %: a cgroup
 * quota caps CPU time, the duty cycle caps the time it may run (so it gets its share of
 * what is free within its run windows).
 *
 *   node --import tsx test/bench/cpu-cap.bench.ts [--targets 20,50] [--ms 3000]
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createHost } from '../../src/host/host.js';
import { memoryLogger } from '../../src/log/logger.js';
import { createCpuCapper, type CapMethod } from '../../src/throttle/cpu-capper.js';
import { spawnBurner, burningPid, measureShare, stoppedFraction } from '../throttle/cpu-burner.js';

const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : process.argv[i + 1]!;
};
const TARGETS = arg('targets', '20,50').split(',').map(Number);
const MS = Number(arg('ms', '3000'));
const host = createHost();
const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

const controllers = (dir: string) => (existsSync(join(dir, 'cgroup.controllers')) ? readFileSync(join(dir, 'cgroup.controllers'), 'utf8').split(/\s+/) : []);
// A v2 tree whose children get the cpu controller already (the bench never changes subtree_control).
const v2Mount = ['/sys/fs/cgroup', '/sys/fs/cgroup/unified'].find((m) => controllers(m).includes('cpu') && readFileSync(join(m, 'cgroup.subtree_control'), 'utf8').includes('cpu'));
const v1Mount = existsSync('/sys/fs/cgroup/cpu/cpu.cfs_quota_us') ? '/sys/fs/cgroup/cpu' : undefined;

const run = async (method: CapMethod, target: number, mount: string | undefined) => {
  const b = spawnBurner(120);
  let dir: string | undefined;
  const capper = createCpuCapper({ host, logger: memoryLogger(), spareNow: () => () => null });
  try {
    const pid = await burningPid(b);
    if (mount) {
      dir = join(mount, `pmbench-${randomBytes(4).toString('hex')}`);
      mkdirSync(dir);
      writeFileSync(join(dir, 'cgroup.procs'), String(pid));
    }
    const before = await measureShare(pid, MS);
    const r = await capper.cap(pid, { share: target / 100, durationMs: null, reason: 'bench' });
    if (r.outcome !== 'capped') throw new Error(`not capped: ${JSON.stringify(r)}`);
    if (r.cap.method !== method) throw new Error(`expected ${method}, got ${r.cap.method}`);
    const self0 = process.cpuUsage();
    const t0 = performance.now();
    const capped = await measureShare(pid, MS);
    const selfShare = ((u) => (u.user + u.system) / 1000 / (performance.now() - t0))(process.cpuUsage(self0));
    const stopped = method === 'duty_cycle' ? await stoppedFraction(pid, 1500) : null;
    console.log(
      `${method.padEnd(10)} target ${String(target).padStart(2)} %: burner ${pct(before).padStart(7)} before, ${pct(capped).padStart(7)} capped` +
        (stopped === null ? '' : `; stopped ${pct(stopped)} of the time; the cycle cost this process ${pct(selfShare)} of a CPU`),
    );
  } finally {
    await capper.stop();
    await b.kill();
    for (let i = 0; dir && i < 50 && existsSync(dir); i++) {
      try {
        rmdirSync(dir);
      } catch {
        await sleep(20);
      }
    }
  }
};

console.log(`cpu cap bench: ${MS} ms per measurement, load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
for (const target of TARGETS) {
  if (v1Mount) await run('cgroup_v1', target, v1Mount);
  else console.log('cgroup_v1: no v1 cpu controller here');
  if (v2Mount) await run('cgroup_v2', target, v2Mount);
  else if (target === TARGETS[0]) console.log('cgroup_v2: no v2 tree with the cpu controller enabled for its children here: not measured');
  await run('duty_cycle', target, undefined);
}
