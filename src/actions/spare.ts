/**
 * Who is never stopped or killed, whatever the action and whatever the config: the one
 * list every part that signals processes asks (`spare(pid)`: the reason to leave it
 * alone, or null). So an operator can always get in and fix things, and PanicMode never
 * freezes the ground it stands on:
 *
 *  - PID 1 (init: stopping it stops the host) and kernel threads: pid 2 (kthreadd) and
 *    its children (ppid 2, every kernel thread). Signals to kernel threads are ignored
 *    by the kernel; skipping them keeps the logs honest. Zombies run nothing and cannot
 *    be stopped.
 *  - PanicMode itself and every ancestor of it (its supervisor: systemd, a container's
 *    init, the shell of `panicmode run`): freezing the parent of the process that
 *    thaws is a deadlock no one can undo remotely.
 *  - sshd (its comm: `sshd`, `sshd-session`, `sshd-auth`) and the sessions of logged-in
 *    users: a process whose parent is sshd (the session's shell, or the forked
 *    per-connection sshd) and every login shell: argv0 starts with `-` AND it leads its
 *    session, as login(1) and sshd start them. Decided: the *shell* is protected, not
 *    everything it starts — a runaway build launched from an ssh shell is exactly what
 *    an operator wants frozen, and the shell that launched it is what they need to
 *    thaw it. Nor its forks: the classic bomb typed at a login prompt,
 *    `:(){ :|:& };:`, is a swarm of forks of `-bash` that keep its argv0 but not its
 *    session leadership (they were all spared before, and the bomb ran on).
 *  - `process_whitelist` (and, for the mass_freeze family, the policy's
 *    `whitelist_processes`): a name matches when the process's name (comm, cut by the
 *    kernel at 15 characters) or the base name of its argv[0] contains the entry — the
 *    compat policy's own rule ("journald" spares systemd-journald); erring towards
 *    sparing is the safe side.
 *
 * What a process says of itself in its cmdline is read last, and only where the facts
 * of its stat line cannot decide (a session leader's argv0, a whitelist entry its comm
 * does not contain): reading a process's cmdline waits on its memory map, which a
 * forking process holds (measured during a 2,000-process fork bomb: 400 cmdlines in
 * 0.3–2.9 s, against 37 ms for their status files), and a process can write anything
 * there — a miner calling itself `sshd: root@pts/0` is not sshd, nor is a process with
 * an empty cmdline a kernel thread.
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

/** sshd's comm: the listener and (OpenSSH ≥ 9.8) its per-connection and auth programs. */
const SSHD_NAMES: ReadonlySet<string> = new Set(['sshd', 'sshd-session', 'sshd-auth']);

const isSshd = (view: ProcessView, pid: number): boolean => SSHD_NAMES.has(view.table.get(pid)?.name ?? '');

/** Does `entry` name this process (its comm or argv[0]'s base name contains it)? argv[0] is read only when the comm does not. */
export const nameMatches = (view: ProcessView, pid: number, entry: string): boolean => {
  if ((view.table.get(pid)?.name ?? '').includes(entry)) return true;
  const a0 = basename(view.argv0(pid).split(' ')[0] ?? '').replace(/^-/, '');
  return a0 !== '' && a0.includes(entry);
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
    if (p.state === 'Z' || p.state === 'X' || p.state === 'x') return 'zombie';
    if (isSshd(view, pid)) return 'sshd';
    if (isSshd(view, p.ppid)) return "a user's ssh session (its parent is sshd)";
    if (p.sid === pid && view.argv0(pid).startsWith('-')) return "a user's login shell";
    const listed = whitelist.find((w) => nameMatches(view, pid, w));
    if (listed !== undefined) return `whitelisted (${listed})`;
    return null;
  };
};
