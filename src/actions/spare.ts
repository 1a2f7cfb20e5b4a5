/**
 * Who is never stopped or killed, whatever the action and whatever the config: the one
 * list every part that signals processes asks (`spare(pid)`: the reason to leave it
 * alone, or null). So an operator can always get in and fix things, and PanicMode never
 * freezes the ground it stands on:
 *
 *  - PID 1 (init: stopping it stops the host) and kernel threads: pid 2 (kthreadd), its
 *    children (ppid 2), and any process with no cmdline (a kernel thread has none; a
 *    zombie has none either, and cannot be stopped anyway). Signals to kernel threads
 *    are ignored by the kernel; skipping them keeps the logs honest.
 *  - PanicMode itself and every ancestor of it (its supervisor: systemd, a container's
 *    init, the shell of `panicmode run`): freezing the parent of the process that
 *    thaws is a deadlock no one can undo remotely.
 *  - sshd (comm `sshd`, or argv[0] `sshd`/`sshd:`/`/usr/sbin/sshd`) and the sessions
 *    of logged-in users: a process whose parent is sshd (the session's shell, or the
 *    forked per-connection sshd) and every login shell (argv[0] starts with `-`, as
 *    login(1) and sshd start them, on a tty or over ssh). Decided: the *shell* is
 *    protected, not everything it starts — a runaway build launched from an ssh shell
 *    is exactly what an operator wants frozen, and the shell that launched it is what
 *    they need to thaw it.
 *  - `process_whitelist` (and, for the mass_freeze family, the policy's
 *    `whitelist_processes`): a name matches when the process's name (comm, cut by the
 *    kernel at 15 characters) or the base name of its argv[0] contains the entry — the
 *    compat policy's own rule ("journald" spares systemd-journald); erring towards
 *    sparing is the safe side.
 *
 * Root processes are NOT spared here (the Rust PanicMode spared them all): a runaway is
 * often root's (a cron job, a build under sudo). `mass_freeze` (all) spares them on
 * its own (see mass-freeze.ts), because freezing every system daemon (logind, journald)
 * would stop an operator logging in.
 */
import type { ProcessView } from './process-view.js';

/** The reason a process must be left alone, or null. */
export type Spare = (pid: number) => string | null;

export interface SpareOptions {
  /** extra names never touched (`process_whitelist`) */
  whitelist?: readonly string[];
}

const basename = (p: string) => p.slice(p.lastIndexOf('/') + 1);

const isSshd = (view: ProcessView, pid: number): boolean => {
  const p = view.table.get(pid);
  if (!p) return false;
  if (p.name === 'sshd' || p.name === 'sshd-session') return true;
  const a0 = view.argv0(pid);
  return basename(a0.split(' ')[0] ?? '') === 'sshd' || a0.startsWith('sshd:') || a0.startsWith('sshd-session');
};

/** Does `entry` name this process (its comm or argv[0]'s base name contains it)? */
export const nameMatches = (view: ProcessView, pid: number, entry: string): boolean => {
  const name = view.table.get(pid)?.name ?? '';
  const a0 = basename(view.argv0(pid).split(' ')[0] ?? '').replace(/^-/, '');
  return name.includes(entry) || (a0 !== '' && a0.includes(entry));
};

/** Pure over a view: the spare function for this moment's processes. */
export const spareFrom = (view: ProcessView, options: SpareOptions = {}): Spare => {
  const ancestors = new Set<number>();
  for (let pid = view.selfPid, hops = 0; pid > 0 && hops < 4096; hops++) {
    ancestors.add(pid);
    const p = view.table.get(pid);
    if (!p || p.ppid === pid) break;
    pid = p.ppid;
  }
  const whitelist = (options.whitelist ?? []).filter((w) => w !== '');
  return (pid) => {
    if (pid === 1) return 'PID 1 (init)';
    const p = view.table.get(pid);
    if (pid === 2 || p?.ppid === 2) return 'kernel thread';
    if (pid === view.selfPid) return 'PanicMode itself';
    if (ancestors.has(pid)) return 'an ancestor of PanicMode';
    if (!p) return 'gone';
    const cmdline = view.cmdline(pid);
    if (cmdline === null) return 'gone';
    if (cmdline === '') return p.state === 'Z' ? 'zombie' : 'kernel thread';
    if (isSshd(view, pid)) return 'sshd';
    if (isSshd(view, p.ppid)) return "a user's ssh session (its parent is sshd)";
    if (view.argv0(pid).startsWith('-')) return "a user's login shell";
    const listed = whitelist.find((w) => nameMatches(view, pid, w));
    if (listed !== undefined) return `whitelisted (${listed})`;
    return null;
  };
};
