/**
 * Holds one process to a share of the CPU by stopping and continuing it (SIGSTOP /
 * SIGCONT) in the rhythm of `dutyCycle`, on the pipeline's scheduler: the fallback
 * when its cgroup cannot be capped. The process is known by pid and start time, so a
 * pid the kernel hands to a new process after the old one exits is never signalled.
 *
 * Ends by unsubscribing (the cap lifted) or by itself when the process is gone; either
 * way a process left stopped is continued, unless another part froze it meanwhile
 * (`isFrozen`): a freeze outranks a throttle.
 */
import type { SchedulerLike, Subscription } from 'rxjs';
import type { Host } from '../host/host.js';
import { dutyCycle } from '../../streams/dutyCycle.js';
import { parsePidStat } from '../collectors/processes.js';

export interface DutyCycleThrottleOptions {
  host: Host;
  pid: number;
  /** the process's start time (`ProcStat.startTicks`) when the throttle was decided */
  startTicks: number;
  share: number;
  periodMs: number;
  scheduler?: SchedulerLike;
  /** the process exited (or its pid now names another process): the throttle has ended */
  onGone: () => void;
  /** true when another part holds the process frozen: it is then not continued */
  isFrozen?: (pid: number) => boolean;
}

/** Is `pid` still the process that started at `startTicks`? */
const sameProcess = (host: Host, pid: number, startTicks: number): boolean => {
  try {
    return parsePidStat(host.readProcSync(pid, 'stat'))?.startTicks === startTicks;
  } catch {
    return false;
  }
};

export const throttleByDutyCycle = (o: DutyCycleThrottleOptions): Subscription => {
  let stopped = false;
  let gone = false;
  const signal = (sig: 'SIGSTOP' | 'SIGCONT'): boolean => {
    try {
      o.host.kill(o.pid, sig);
      return true;
    } catch {
      return false; // ESRCH: it exited between the check and the signal
    }
  };
  const sub = dutyCycle({ periodMs: o.periodMs, share: o.share, scheduler: o.scheduler }).subscribe((phase) => {
    if (!sameProcess(o.host, o.pid, o.startTicks)) {
      gone = true;
      o.onGone();
      return;
    }
    if (phase === 'stop') stopped = signal('SIGSTOP');
    else {
      if (!o.isFrozen?.(o.pid)) signal('SIGCONT');
      stopped = false;
    }
  });
  sub.add(() => {
    if (stopped && !gone && !o.isFrozen?.(o.pid) && sameProcess(o.host, o.pid, o.startTicks)) signal('SIGCONT');
  });
  return sub;
};
