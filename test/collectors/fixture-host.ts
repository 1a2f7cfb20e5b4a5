/**
 * Test support: a real Host (createHost) over a fixture tree whose root can be switched
 * between snapshots (t0 → t1), with clocks the test sets, so rates are deterministic.
 */
import { join } from 'node:path';
import { asyncScheduler, type SchedulerLike } from 'rxjs';
import { createHost, type Host } from '../../src/host/host.js';

export const fixtureRoot = (name: string): string => join(process.cwd(), 'test', 'fixtures', 'proc', name);

export interface SwitchingHost extends Host {
  /** replaceable: statfs reads live filesystems, not the fixture */
  statfs: Host['statfs'];
  use(root: string): void;
  /** sets what monotonicMs() and clock.now() return */
  setClock(monotonicMs: number, now?: number): void;
  /** the pipeline's scheduler for this host: real timers, the wall clock the test sets */
  readonly clock: SchedulerLike;
}

export const switchingHost = (root: string): SwitchingHost => {
  let current = createHost(root);
  let mono = 0;
  let wall = 1_700_000_000_000;
  const self: SwitchingHost = {
    get procRoot() {
      return current.procRoot;
    },
    procPath: (...p) => current.procPath(...p),
    readProc: (...p) => current.readProc(...p),
    readProcSync: (...p) => current.readProcSync(...p),
    readProcBytesSync: (into, ...p) => current.readProcBytesSync(into, ...p),
    openProcFile: (...p) => current.openProcFile(...p),
    listProc: (...p) => current.listProc(...p),
    listProcSync: (...p) => current.listProcSync(...p),
    readProcLink: (...p) => current.readProcLink(...p),
    statfs: (p) => current.statfs(p),
    clock: { now: () => wall, schedule: asyncScheduler.schedule.bind(asyncScheduler) as SchedulerLike['schedule'] },
    monotonicMs: () => mono,
    kill: () => {
      throw new Error('tests never signal through a fixture host');
    },
    exec: (f, a, o) => current.exec(f, a, o),
    pid: process.pid,
    use: (r) => {
      current = createHost(r);
    },
    setClock: (m, n) => {
      mono = m;
      if (n !== undefined) wall = n;
    },
  };
  return self;
};
