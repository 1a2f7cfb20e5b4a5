/**
 * A realistic synthetic auth.log for benchmarks: sshd failures of every kind from a
 * pool of attackers (a few heavy hitters, a long tail), mixed with what else lands in
 * auth.log — successful logins, PAM sessions, cron, sudo, systemd-logind, kernel
 * firewall lines. Deterministic (seeded) so runs compare.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** mulberry32: tiny deterministic PRNG */
const prng = (seed: number) => () => {
  seed |= 0;
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

const users = ['root', 'admin', 'ubuntu', 'test', 'oracle', 'postgres', 'git', 'user', 'pi', 'guest', 'ftpuser', 'deploy'];

export interface GeneratedLog {
  lines: number;
}

/** Writes `lines` lines to `path`. */
export const generateAuthLog = async (path: string, lines: number, seed = 42): Promise<GeneratedLog> => {
  const rnd = prng(seed);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)]!;
  const attackers: string[] = [];
  for (let i = 0; i < 5000; i++) {
    attackers.push(
      i % 10 === 9
        ? `2001:db8:${(i * 7).toString(16)}::${(i % 200).toString(16)}`
        : `${1 + Math.floor(rnd() * 222)}.${Math.floor(rnd() * 256)}.${Math.floor(rnd() * 256)}.${1 + Math.floor(rnd() * 254)}`,
    );
  }
  const attacker = () => (rnd() < 0.3 ? attackers[Math.floor(rnd() * 20)]! : pick(attackers));
  const out = createWriteStream(path);
  let t = Date.UTC(2026, 10, 21, 0, 0, 0);
  const batch: string[] = [];
  for (let n = 0; n < lines; n++) {
    t += Math.floor(rnd() * 40);
    const d = new Date(t);
    const ts = `${months[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}:${String(d.getUTCSeconds()).padStart(2, '0')}`;
    const pid = 1000 + Math.floor(rnd() * 60000);
    const port = 1024 + Math.floor(rnd() * 64000);
    const ip = attacker();
    const user = pick(users);
    const r = rnd();
    let msg: string;
    if (r < 0.14) msg = `sshd[${pid}]: Failed password for ${user} from ${ip} port ${port} ssh2`;
    else if (r < 0.26) msg = `sshd[${pid}]: Failed password for invalid user ${user} from ${ip} port ${port} ssh2`;
    else if (r < 0.36) msg = `sshd[${pid}]: Invalid user ${user} from ${ip} port ${port}`;
    else if (r < 0.42) msg = `sshd[${pid}]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=${ip}  user=${user}`;
    else if (r < 0.48) msg = `sshd[${pid}]: Connection closed by invalid user ${user} ${ip} port ${port} [preauth]`;
    else if (r < 0.52) msg = `sshd[${pid}]: Received disconnect from ${ip} port ${port}:11: Bye Bye [preauth]`;
    else if (r < 0.54) msg = `sshd[${pid}]: Disconnected from authenticating user ${user} ${ip} port ${port} [preauth]`;
    else if (r < 0.555) msg = `sshd[${pid}]: error: maximum authentication attempts exceeded for ${user} from ${ip} port ${port} ssh2 [preauth]`;
    else if (r < 0.565) msg = `sshd[${pid}]: Did not receive identification string from ${ip} port ${port}`;
    else if (r < 0.575) msg = `sshd[${pid}]: Unable to negotiate with ${ip} port ${port}: no matching key exchange method found. Their offer: diffie-hellman-group1-sha1 [preauth]`;
    else if (r < 0.58) msg = `sshd[${pid}]: banner exchange: Connection from ${ip} port ${port}: invalid format`;
    else if (r < 0.60) msg = `sshd[${pid}]: Connection reset by ${ip} port ${port} [preauth]`;
    else if (r < 0.63) msg = `sshd[${pid}]: Accepted publickey for deploy from 192.0.2.50 port ${port} ssh2: ED25519 SHA256:Xq3bUo8rH2hHqXq3bUo8rH2hHqXq3bUo8rH2hHqXq3b`;
    else if (r < 0.67) msg = `sshd[${pid}]: pam_unix(sshd:session): session opened for user deploy(uid=1001) by (uid=0)`;
    else if (r < 0.70) msg = `sshd[${pid}]: pam_unix(sshd:session): session closed for user deploy`;
    else if (r < 0.72) msg = `sshd[${pid}]: Disconnected from user deploy 192.0.2.50 port ${port}`;
    else if (r < 0.82) msg = `CRON[${pid}]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)`;
    else if (r < 0.87) msg = `systemd-logind[612]: New session ${pid} of user deploy.`;
    else if (r < 0.91) msg = `sudo:   deploy : TTY=pts/0 ; PWD=/home/deploy ; USER=root ; COMMAND=/usr/bin/systemctl status nginx`;
    else msg = `kernel: [${(t / 1000).toFixed(6)}] [UFW BLOCK] IN=eth0 OUT= MAC=00:16:3e:aa:bb:cc SRC=${ip.includes(':') ? '198.51.100.7' : ip} DST=192.0.2.10 LEN=44 TOS=0x00 PROTO=TCP SPT=${port} DPT=23`;
    batch.push(`${ts} web1 ${msg}\n`);
    if (batch.length === 10_000) {
      if (!out.write(batch.join(''))) await once(out, 'drain');
      batch.length = 0;
    }
  }
  out.end(batch.join(''));
  await once(out, 'finish');
  return { lines };
};
