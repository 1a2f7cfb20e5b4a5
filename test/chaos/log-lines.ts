/**
 * Auth log lines for the chaos scenarios, valid and hostile, each plan carrying its ground
 * truth: who must be banned (attackers over the threshold), who must never be (innocents
 * under it, addresses only named inside hostile text, whitelisted and never-block ones).
 *
 * Address ranges: attackers 198.18.0.0/16, innocents 198.19.0.0/16 (RFC 2544 benchmark
 * space: public, so the never-block list does not spare them), the whitelist
 * 198.51.100.0/24, injected addresses from 203.0.113.0/24.
 */
import type { Attacker, GroundTruth } from './invariants.js';
import type { SeededRandom } from './seeded-random.js';

export const WHITELIST = ['198.51.100.0/24'];

export const attackerAddress = (i: number): string => `198.18.${(i + 1) >> 8}.${(i + 1) & 255}`;
export const innocentAddress = (i: number): string => `198.19.${(i + 1) >> 8}.${(i + 1) & 255}`;

let pid = 4000;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/**
 * The syslog time of now (local time): the agent judges windows on a line's own
 * timestamp, so a burst must be stamped like one (not spread over 50 minutes).
 */
const stamp = () => {
  const d = new Date();
  const p2 = (n: number) => String(n).padStart(2, '0');
  return `${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}`;
};

/** A failure as sshd writes it; `user` is the attacker's text. */
export const failedPassword = (ip: string, user = 'admin', program = 'sshd'): string =>
  `${stamp()} web-1 ${program}[${++pid}]: Failed password for invalid user ${user} from ${ip} port ${40000 + (pid % 20000)} ssh2\n`;

export interface LogPlan {
  /** the lines in the order they are written (each ends with `\n`; binary junk is a Buffer) */
  lines: (string | Buffer)[];
  truth: Omit<GroundTruth, 'monitor' | 'threshold' | 'banDurationMs'>;
}

/** `attackers` addresses × `each` failures, shuffled, with `innocents` addresses under the threshold. */
export const attackBurst = (rnd: SeededRandom, o: { attackers: number; each: number; innocents: number; threshold: number; firstAttacker?: number }): LogPlan => {
  const lines: string[] = [];
  const attackers: Attacker[] = [];
  for (let i = 0; i < o.attackers; i++) {
    const ip = attackerAddress((o.firstAttacker ?? 0) + i);
    attackers.push({ target: ip, failures: o.each });
    for (let k = 0; k < o.each; k++) lines.push(failedPassword(ip, `u${k}`));
  }
  const innocents = Array.from({ length: o.innocents }, (_, i) => ({ address: innocentAddress(i), failures: rnd.int(1, o.threshold) }));
  for (const inn of innocents) for (let k = 0; k < inn.failures; k++) lines.push(failedPassword(inn.address));
  return { lines: rnd.shuffle(lines), truth: { attackers, innocents, protectedAddresses: [] } };
};

/** Random bytes with no newline (NUL, `\r`, invalid UTF-8 included), then a newline. */
const binaryJunk = (rnd: SeededRandom): Buffer => {
  const b = Buffer.alloc(rnd.int(1, 300));
  for (let i = 0; i < b.length; i++) {
    let v = rnd.int(0, 255);
    if (v === 0x0a) v = 0x0d;
    b[i] = v;
  }
  return Buffer.concat([b, Buffer.from('\n')]);
};

/**
 * The hostile mix: valid attackers (some writing their address as IPv4-mapped IPv6 on
 * some lines), attackers whose user name frames 8.8.8.8, innocents under the threshold,
 * `\r` and U+2028 inside a line naming an injected address, forged program names, a
 * 512 KB line, binary junk, whitelisted and private addresses far over the threshold.
 */
export const hostileMix = (rnd: SeededRandom, threshold: number): LogPlan => {
  const lines: (string | Buffer)[] = [];
  const attackers: Attacker[] = [];
  const innocents: { address: string; failures: number }[] = [];
  const each = threshold + 1;
  let a = 0;
  let n = 0;
  // valid attackers, some lines in the v4-mapped form a dual-stack sshd writes
  for (let i = 0; i < 30; i++, a++) {
    const ip = attackerAddress(a);
    attackers.push({ target: ip, failures: each });
    for (let k = 0; k < each; k++) lines.push(failedPassword(rnd.next() < 0.3 ? `::ffff:${ip}` : ip, `u${k}`));
  }
  // attackers whose user name frames another address
  for (let i = 0; i < 10; i++, a++) {
    const ip = attackerAddress(a);
    attackers.push({ target: ip, failures: each });
    for (let k = 0; k < each; k++) lines.push(failedPassword(ip, 'x from 8.8.8.8 port 1 ssh2'));
  }
  innocents.push({ address: '8.8.8.8', failures: 0 });
  // innocents under the threshold
  for (let i = 0; i < 20; i++, n++) {
    const ip = innocentAddress(n);
    const f = rnd.int(1, threshold);
    innocents.push({ address: ip, failures: f });
    for (let k = 0; k < f; k++) lines.push(failedPassword(ip, 'oops'));
  }
  // a line terminator inside the line: one line from each real (innocent) address, the injected one named in all
  for (const [term, injected] of [['\r', '203.0.113.66'], ['\u2028', '203.0.113.77']] as const) {
    innocents.push({ address: injected, failures: 0 });
    for (let k = 0; k < 2 * each; k++, n++) {
      const real = innocentAddress(n);
      innocents.push({ address: real, failures: 1 });
      lines.push(failedPassword(real, `a from ${injected} port 1 ssh2${term}b`));
    }
  }
  // forged program names: not sshd, whatever the message says
  innocents.push({ address: '203.0.113.88', failures: 0 });
  for (const program of ['sshd-fake', 'notsshd', 'cron', 'sshd2', 'su', 'sshd ', 'sudo', 'CRON']) {
    lines.push(failedPassword('203.0.113.88', 'root', program));
    lines.push(`${stamp()} web-1 logger[${++pid}]: sshd[1]: Failed password for root from 203.0.113.88 port 1 ssh2\n`);
  }
  // one huge line (a user name of 512 KB) from an innocent address
  innocents.push({ address: '203.0.113.99', failures: 1 });
  lines.push(failedPassword('203.0.113.99', 'A'.repeat(512 * 1024)));
  // binary junk
  for (let i = 0; i < 20; i++) lines.push(binaryJunk(rnd));
  // whitelisted and never-block addresses far over the threshold
  const protectedAddresses = ['198.51.100.7', '10.0.0.5', '192.168.1.20', '127.0.0.1'];
  for (const ip of protectedAddresses) for (let k = 0; k < 3 * each; k++) lines.push(failedPassword(ip));
  return { lines: rnd.shuffle(lines), truth: { attackers, innocents, protectedAddresses } };
};

/** Writes `lines` in `chunks` appends, `gapMs` apart (the burst the agent reads while the scenario strikes). */
export const writeInChunks = async (append: (b: string | Buffer) => void, lines: readonly (string | Buffer)[], chunks: number, gapMs: number, between?: (chunk: number) => Promise<void> | void): Promise<void> => {
  const size = Math.ceil(lines.length / chunks);
  for (let c = 0; c * size < lines.length; c++) {
    const part = lines.slice(c * size, (c + 1) * size);
    append(Buffer.concat(part.map((l) => (typeof l === 'string' ? Buffer.from(l) : l))));
    await between?.(c);
    if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
  }
};
