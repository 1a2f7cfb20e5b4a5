/**
 * Starting and stopping a supervised service: the I/O edge of supervision.
 *
 * A `start_command` runs under `/bin/sh -c` (a service line as monit writes it) in a
 * process group of its own (detached), as the entry's user, in its working directory,
 * with `PANICMODE_SERVICE=<name>` added to its environment (an operator can tell who
 * started it, and an agent that lost its record of the start finds it by that), stdio to /dev/null, and unreferenced: it outlives PanicMode, and a
 * restarted PanicMode finds it again (supervisor.ts). A `systemd_unit` is handed to
 * `systemctl restart`, which also stops the old instance.
 *
 * Stopping signals the service's process group when it leads one (every start_command
 * does), else the process: SIGTERM, then SIGKILL after `stop_timeout`, then SIGKILL to
 * whatever is left of the group.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { firstValueFrom, filter, interval, map, race, take, timer, type SchedulerLike } from 'rxjs';
import type { Host } from '../host/host.js';
import type { SupervisedProcessConfig } from '../config/schema.js';
import { ActionError } from '../errors.js';
import { leadsGroup, runningPid, SERVICE_MARKER_VAR, type Instance } from './service-finder.js';

/** Pure: uid and gid of `user` (a name or a uid) from an /etc/passwd text, or null. */
export const lookupUser = (passwd: string, user: string): { uid: number; gid: number } | null => {
  for (const line of passwd.split('\n')) {
    const f = line.split(':');
    if (f.length < 4) continue;
    if (f[0] === user || f[2] === user) return { uid: Number(f[2]), gid: Number(f[3]) };
  }
  return /^\d+$/.test(user) ? { uid: Number(user), gid: Number(user) } : null;
};

/** What a start did: the pid it launched (a start_command), or null (systemd starts it). */
export interface Started {
  pid: number | null;
  /**
   * true once the launched process has exited with status 0: a launcher that forked its
   * daemon and left (not a crash); false while it runs, or when it died otherwise
   */
  exitedCleanly(): boolean;
}

export const startService = async (entry: SupervisedProcessConfig, host: Host, timeoutMs: number): Promise<Started> => {
  if (entry.systemd_unit) {
    const r = await host.exec('systemctl', ['restart', entry.systemd_unit], { timeoutMs });
    if (r.code !== 0) throw new ActionError('restart_process', `systemctl restart ${entry.systemd_unit} failed (${r.code ?? r.signal}): ${r.stderr.trim()}`);
    return { pid: null, exitedCleanly: () => false };
  }
  const ids = entry.user === undefined ? null : lookupUser(readFileSync('/etc/passwd', 'utf8'), entry.user);
  if (entry.user !== undefined && ids === null) throw new ActionError('restart_process', `${entry.name}: no user "${entry.user}" in /etc/passwd`);
  const child = spawn('/bin/sh', ['-c', entry.start_command!], {
    detached: true,
    stdio: 'ignore',
    cwd: entry.working_dir ?? '/',
    env: { ...process.env, ...entry.env, [SERVICE_MARKER_VAR]: entry.name },
    ...(ids ? { uid: ids.uid, gid: ids.gid } : {}),
  });
  let clean = false;
  child.once('exit', (code) => (clean = code === 0));
  return new Promise((resolve, reject) => {
    child.once('error', (err) => reject(new ActionError('restart_process', `${entry.name}: cannot start "${entry.start_command}": ${err.message}`, { cause: err })));
    child.once('spawn', () => {
      child.unref();
      resolve({ pid: child.pid ?? null, exitedCleanly: () => clean });
    });
  });
};

const signal = (host: Host, pid: number, group: boolean, sig: NodeJS.Signals): void => {
  try {
    host.kill(group ? -pid : pid, sig);
  } catch {
    // gone already
  }
};

/**
 * Stops the instance: SIGTERM (to its group when it leads one), SIGKILL after
 * `timeoutMs` if it still runs. Resolves once it is gone (checked every 100 ms on the
 * scheduler) or a second after the SIGKILL.
 */
export const stopInstance = async (host: Host, instance: Instance, timeoutMs: number, scheduler: SchedulerLike): Promise<void> => {
  const same = () => {
    const s = runningPid(host, instance.pid);
    return s !== null && s.startTicks === instance.startTicks;
  };
  if (!same()) return;
  const group = leadsGroup(host, instance.pid);
  const gone = (within: number) =>
    firstValueFrom(race(interval(100, scheduler).pipe(filter(() => !same()), map(() => true)), timer(within, scheduler).pipe(map(() => false))).pipe(take(1)));
  signal(host, instance.pid, group, 'SIGTERM');
  if (!(await gone(timeoutMs))) {
    signal(host, instance.pid, group, 'SIGKILL');
    await gone(1000);
  }
  // what is left of its group (a worker that ignored SIGTERM) goes with it; a group with
  // no member left cannot have been reused, so this reaches nothing else
  if (group) signal(host, instance.pid, true, 'SIGKILL');
};
