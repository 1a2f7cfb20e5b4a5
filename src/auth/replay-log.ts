/**
 * Offline SSH detection over a log file (what `panicmode replay` runs, like
 * fail2ban-regex): every line read, the failures counted per address, and the rules
 * applied on the log's own timestamps, so the incidents are those the live agent
 * would have raised. An address banned by a block_ip incident is banned for `ban_ms`:
 * its later lines are still counted per IP, but feed no rule until the ban ends (a
 * banned address cannot reach sshd).
 *
 * Fast path: the file is read in large chunks, each decoded once (latin1: a byte per
 * character, no UTF-8 validation; user names are re-decoded when they need it);
 * each line is found with one indexOf and checked in place (header by character codes,
 * then the message's literal prefix before any regex) — no string per line, no object
 * per non-failure; IPv4 addresses are keyed as int32 (small integers, no hashing of a
 * string or boxing of a number) and the failure summaries the rules keep are shared
 * per (kind, user), so the windows hold no per-line objects.
 */
import { open } from 'node:fs/promises';
import type { Incident } from '../model/incident.js';
import { AuthLineMatcher } from './parse-auth-line.js';
import type { CompiledFilter } from './filters/compile-filter.js';
import type { NeverBlock } from '../firewall/never-block.js';
import { parseTarget } from '../firewall/address.js';
import { WindowedIpCounter } from './windowed-ip-counter.js';
import { bruteForceIncident, DEFAULT_WINDOW_MS, type BruteForceRule, type FailureSummary } from './brute-force-rule.js';

export interface ReplayResult {
  lines: number;
  matched: number;
  /** failures per address, most first */
  failures_by_ip: Record<string, number>;
  incidents: Incident[];
  /** lines matched per pattern id (whatever the pattern's effect), most first */
  by_pattern: Record<string, number>;
}

export interface ReplayOptions {
  /** read size (default 4 MiB) */
  chunkBytes?: number;
  /** clock for the year of syslog timestamps (default the production scheduler's clock) */
  now?: () => number;
  /** how long a block_ip incident bans its addresses (default 1 h, firewall.ban_duration's default) */
  ban_ms?: number;
  /** the filter (default: sshd in its default mode) */
  filter?: CompiledFilter;
  /**
   * The firewall's never-block decision (protected ranges, own addresses, whitelist): an
   * address it refuses is not banned, as the agent would not ban it. Default: none.
   */
  neverBlock?: NeverBlock;
}

interface IpEntry {
  /** the address, as a string of its own (not a slice of a chunk kept alive by it) */
  ip: string;
  failures: number;
  bannedUntil: number;
  /** why the firewall refuses to ban it (null: it may be banned; undefined: not asked yet) */
  notBanned: string | null | undefined;
}

/** Distinct (kind, user) summaries kept per replay; beyond it, new ones are not shared. */
const MAX_SHARED_SUMMARIES = 65_536;

/** Whole-line text in, counts and incidents accumulated; state carries across feeds. */
export class ReplayState {
  lines = 0;
  matched = 0;
  readonly incidents: Incident[] = [];
  /** keyed by the IPv4 address as a number (no string hashing per line), IPv6 by text */
  private readonly byIp = new Map<number | string, IpEntry>();
  private readonly matcher: AuthLineMatcher;
  private readonly counters: { rule: BruteForceRule; bans: boolean; counter: WindowedIpCounter<FailureSummary> }[];
  private readonly banMs: number;
  private readonly neverBlock: NeverBlock | undefined;
  /** lines matched per pattern, by index in the filter definition */
  private readonly byPattern: Float64Array;
  private lastTs = 0;
  /** one summary object per (kind, user): the windows then hold shared objects, not one per line */
  private readonly summaries = new Map<string, Map<string | undefined, FailureSummary>>();
  private sharedSummaries = 0;

  constructor(rules: readonly BruteForceRule[], options: ReplayOptions = {}) {
    this.matcher = new AuthLineMatcher({ now: options.now, filter: options.filter }, true);
    this.banMs = options.ban_ms ?? 3_600_000;
    this.neverBlock = options.neverBlock;
    this.byPattern = new Float64Array(this.matcher.filter.definition.patterns.length);
    this.counters = rules.map((rule) => ({
      rule,
      bans: rule.actions.includes('block_ip'),
      counter: new WindowedIpCounter<FailureSummary>({ windowMs: rule.window ?? DEFAULT_WINDOW_MS, threshold: rule.threshold }),
    }));
  }

  /** `text` holds whole lines (only the file's last may lack its newline). */
  feed(text: string): void {
    // One pass, one indexOf per line: the header check (timestamp, host, `sshd`) is a
    // few character comparisons, cheaper than searching for ` sshd` and then finding
    // the line's bounds around the hit, and the same pass counts the lines.
    const matcher = this.matcher;
    const len = text.length;
    let n = 0;
    for (let start = 0; start < len; ) {
      let end = text.indexOf('\n', start);
      if (end === -1) end = len;
      n++;
      if (matcher.scanLine(text, start, end)) this.record();
      if (matcher.patternIndex >= 0) this.byPattern[matcher.patternIndex]!++;
      start = end + 1;
    }
    this.lines += n;
  }

  private record(): void {
    const m = this.matcher;
    this.matched++;
    // a host name (UseDNS) is recognised but cannot be banned: not counted per address
    if (m.ip === null) return;
    // as int32 (`| 0`): a small integer for V8 (a Map key without a boxed number)
    const key = m.ipValue >= 0 ? m.ipValue | 0 : m.ip;
    let e = this.byIp.get(key);
    if (e === undefined) {
      const ip = m.ip.length < 13 ? m.ip : (' ' + m.ip).slice(1);
      e = { ip, failures: 0, bannedUntil: -Infinity, notBanned: undefined };
      this.byIp.set(typeof key === 'string' ? ip : key, e);
    }
    e.failures += m.count;
    if (this.counters.length === 0) return;
    // a line without a readable timestamp happens "at" the previous one
    const at = Number.isNaN(m.ts) ? this.lastTs : m.ts;
    this.lastTs = at;
    if (at < e.bannedUntil) return;
    const sample = this.summary(m.kind, m.user);
    for (let n = 0; n < m.count; n++)
      for (let i = 0; i < this.counters.length; i++) {
        const c = this.counters[i]!;
        const burst = c.counter.add(e.ip, at, sample);
        if (burst === null) continue;
        const incident = bruteForceIncident(c.rule, e.ip, burst, at);
        this.incidents.push(incident);
        if (!c.bans) continue;
        // the firewall's own decision: a protected address is never banned
        e.notBanned ??= this.reasonNotToBlock(e.ip);
        if (e.notBanned === null) e.bannedUntil = at + this.banMs;
        else {
          incident.actions = incident.actions.filter((a) => a !== 'block_ip');
          incident.metadata.details += ` (not banned: ${e.notBanned})`;
        }
      }
  }

  private reasonNotToBlock(ip: string): string | null {
    if (this.neverBlock === undefined) return null;
    const target = parseTarget(ip);
    return target === null ? 'not an address' : this.neverBlock.reasonNotToBlock(target);
  }

  private summary(kind: string, user: string | undefined): FailureSummary {
    let byUser = this.summaries.get(kind);
    if (byUser === undefined) this.summaries.set(kind, (byUser = new Map()));
    let s = byUser.get(user);
    if (s === undefined) {
      // kept past this chunk: the user name as a string of its own (a V8 slice of 13+ characters would pin the chunk)
      s = { kind, user: user !== undefined && user.length >= 13 ? (' ' + user).slice(1) : user };
      if (this.sharedSummaries < MAX_SHARED_SUMMARIES) {
        this.sharedSummaries++;
        byUser.set(user, s);
      }
    }
    return s;
  }

  result(): ReplayResult {
    const failures_by_ip: Record<string, number> = {};
    const entries = [...this.byIp.values()].sort((a, b) => b.failures - a.failures || (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : 0));
    for (const e of entries) failures_by_ip[e.ip] = e.failures;
    const ids = this.matcher.filter.definition.patterns.map((p) => p.id);
    const by_pattern = Object.fromEntries(
      [...this.byPattern].map((n, i) => [ids[i]!, n] as const).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)),
    );
    return { lines: this.lines, matched: this.matched, failures_by_ip, incidents: this.incidents, by_pattern };
  }
}

/** Replays a log file through the rules. Rejects with the fs error for an unreadable file. */
export const replayLog = async (path: string, rules: readonly BruteForceRule[], options: ReplayOptions = {}): Promise<ReplayResult> => {
  const state = new ReplayState(rules, options);
  const fh = await open(path, 'r');
  try {
    let buf = Buffer.allocUnsafe(options.chunkBytes ?? 4 * 1024 * 1024);
    let carry = 0; // bytes of an unfinished line kept at the start of buf
    for (;;) {
      if (carry === buf.length) {
        // one line longer than the buffer: grow
        const bigger = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(bigger, 0, 0, carry);
        buf = bigger;
      }
      const { bytesRead } = await fh.read(buf, carry, buf.length - carry, null);
      const filled = carry + bytesRead;
      if (bytesRead === 0) {
        if (filled > 0) state.feed(buf.toString('latin1', 0, filled));
        break;
      }
      const lastNl = buf.lastIndexOf(10, filled - 1);
      if (lastNl === -1) {
        carry = filled;
        continue;
      }
      state.feed(buf.toString('latin1', 0, lastNl + 1));
      carry = filled - lastNl - 1;
      if (carry > 0) buf.copy(buf, 0, lastNl + 1, filled);
    }
  } finally {
    await fh.close();
  }
  return state.result();
};
