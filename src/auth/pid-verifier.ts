/**
 * `verify_pid` for file sources: a line counts only if the pid it names is, right now,
 * a process running an sshd executable (`<procroot>/<pid>/exe`, one of the known install
 * paths) as root (`<procroot>/<pid>/status`: real and effective uid 0) — read through
 * the Host port, so the sidecar's `/host/proc` works the same.
 *
 * Not the process name: `comm` is whatever the program was called, so a copy of `sleep`
 * named sshd, run by any user, passed the old check and got a forged line's address
 * banned. A user cannot make a root process run /usr/sbin/sshd for them.
 *
 * What it stops: `logger -t 'sshd[PID]' "Failed password ... from 1.2.3.4"` naming a
 * made-up pid, or one of the forger's own processes. What it cannot stop: a forger naming
 * the pid of a REAL sshd process (the listener's pid is public in `ps`); only the
 * journal's trusted fields stop that. And it may drop a genuine line whose
 * per-connection sshd already exited when we read it (a scanner that connects and
 * leaves): the follower reads within milliseconds, so this is rare, and repeated
 * attempts still count.
 */
import type { Host } from '../host/host.js';

/**
 * Where distributions install OpenSSH's server programs: sshd, and (OpenSSH ≥ 9.8/10)
 * the per-connection sshd-session and sshd-auth.
 */
export const sshdExecutables: readonly string[] = [
  '/usr/sbin/sshd',
  '/usr/local/sbin/sshd',
  '/usr/lib/openssh/sshd-session',
  '/usr/lib/openssh/sshd-auth',
  '/usr/libexec/openssh/sshd-session',
  '/usr/libexec/openssh/sshd-auth',
  '/usr/libexec/sshd-session',
  '/usr/libexec/sshd-auth',
  '/usr/local/libexec/sshd-session',
  '/usr/local/libexec/sshd-auth',
];

export interface PidVerifierOptions {
  /** how long a verdict is reused (default 2000 ms: a connection's lines come together) */
  cacheMs?: number;
  /** executables accepted (default sshdExecutables) */
  executables?: readonly string[];
}

/** Real and effective uid from a `/proc/PID/status` text (`Uid: real effective saved fs`). */
const uids = (status: string): [number, number] | null => {
  const m = /^Uid:\s+(\d+)\s+(\d+)/m.exec(status);
  return m ? [Number(m[1]), Number(m[2])] : null;
};

export class PidVerifier {
  private readonly cache = new Map<number, { ok: boolean; at: number }>();
  private readonly cacheMs: number;
  private readonly executables: readonly string[];

  constructor(
    private readonly host: Host,
    options: PidVerifierOptions = {},
  ) {
    this.cacheMs = options.cacheMs ?? 2000;
    this.executables = options.executables ?? sshdExecutables;
  }

  /** True when `pid` is a running sshd executable owned by root. */
  async isSshd(pid: number | undefined): Promise<boolean> {
    if (pid === undefined || !Number.isInteger(pid) || pid <= 0) return false;
    const now = this.host.monotonicMs();
    const hit = this.cache.get(pid);
    if (hit && now - hit.at < this.cacheMs) return hit.ok;
    let ok: boolean;
    try {
      // an sshd upgraded in place still runs the old, unlinked binary: "(deleted)"
      const exe = (await this.host.readProcLink(pid, 'exe')).replace(/ \(deleted\)$/, '');
      const ids = this.executables.includes(exe) ? uids(await this.host.readProc(pid, 'status')) : null;
      ok = ids !== null && ids[0] === 0 && ids[1] === 0;
    } catch {
      ok = false;
    }
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(pid, { ok, at: now });
    return ok;
  }
}
