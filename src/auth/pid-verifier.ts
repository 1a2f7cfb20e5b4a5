/**
 * `verify_pid` for file sources: a line counts only if the pid it names is a live
 * sshd process right now (`<procroot>/<pid>/comm`, read through the Host port).
 *
 * What it stops: `logger -t 'sshd[99999]' "Failed password ... from 1.2.3.4"` with a
 * made-up or non-sshd pid — the most common way to make an agent ban an address of the
 * forger's choice. What it cannot stop: a forger naming the pid of a REAL sshd process
 * (the listener's pid is public in `ps`); only the journal's trusted fields stop that.
 * And it may drop a genuine line whose per-connection sshd already exited when we read
 * it (a scanner that connects and leaves): the follower reads within milliseconds, so
 * this is rare, and repeated attempts still count.
 */
import type { Host } from '../host/host.js';
import { sshdPrograms } from './parse-auth-line.js';

export interface PidVerifierOptions {
  /** how long a verdict is reused (default 2000 ms: a connection's lines come together) */
  cacheMs?: number;
}

export class PidVerifier {
  private readonly cache = new Map<number, { ok: boolean; at: number }>();
  private readonly cacheMs: number;

  constructor(
    private readonly host: Host,
    options: PidVerifierOptions = {},
  ) {
    this.cacheMs = options.cacheMs ?? 2000;
  }

  /** True when `pid` is a running sshd (sshd, sshd-session, sshd-auth). */
  async isSshd(pid: number | undefined): Promise<boolean> {
    if (pid === undefined || !Number.isInteger(pid) || pid <= 0) return false;
    const now = this.host.monotonicMs();
    const hit = this.cache.get(pid);
    if (hit && now - hit.at < this.cacheMs) return hit.ok;
    let ok: boolean;
    try {
      ok = sshdPrograms.includes((await this.host.readProc(pid, 'comm')).trim());
    } catch {
      ok = false;
    }
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(pid, { ok, at: now });
    return ok;
  }
}
