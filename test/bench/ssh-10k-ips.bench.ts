/**
 * Issue 3's figure: "10,000 distinct attacking IPs within one window: memory stays
 * bounded, every one banned once".
 *
 * Part 1 — the real pipeline pieces end to end: AuthFailure events for 10,000 distinct
 * public IPv4 addresses spread over 11.0.0.0/8, each sending threshold + 2 failures
 * (interleaved) within one 60 s window, through detectBruteForce with the default rule
 * (> 5 in 60 s), each incident through the block_ip action into the ban manager
 * (createFirewall) over a real SQLite file and a backend: the real nftables backend
 * inside a network namespace this bench creates and deletes when root and ip/nft
 * exist, else an in-memory counting backend (the output says which). Then the same
 * attack again: every incident must come back "already blocked", nothing banned twice.
 * Event time is virtual (`timeOf` reads the event's own ts), so windows pass without
 * waiting.
 *
 * Part 2 — detectBruteForce alone with 100,000 distinct addresses per window, two
 * windows: the heap after GC once a window has passed returns to where it started.
 *
 *   node --import tsx test/bench/ssh-10k-ips.bench.ts [--ips 10000] [--big 100000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Subject } from 'rxjs';
import type { AuthFailure } from '../../src/auth/auth-failure.js';
import { detectBruteForce } from '../../src/auth/detect-brute-force.js';
import { defaultBruteForceRule, DEFAULT_WINDOW_MS } from '../../src/auth/brute-force-rule.js';
import { KeyedWindowCounter } from '../../streams/keyedWindowCounter.js';
import { openDatabase } from '../../src/storage/database.js';
import { createFirewall } from '../../src/firewall/create-firewall.js';
import { createBanManager, type BanManager } from '../../src/firewall/ban-manager.js';
import { createNeverBlock } from '../../src/firewall/never-block.js';
import type { BanEntry, FirewallBackend } from '../../src/firewall/backend.js';
import type { FirewallOptions } from '../../src/firewall/firewall-options.js';
import type { NftRunner } from '../../src/firewall/nft-runner.js';
import { blockIpAction } from '../../src/actions/block-ip.js';
import type { Incident } from '../../src/model/incident.js';
import { createLogger } from '../../src/log/logger.js';
import { createNetns, netnsUnavailable, type TestNetns } from '../firewall/netns.js';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(name);
  return i === -1 ? dflt : Number(process.argv[i + 1]);
};
const IPS = arg('--ips', 10_000);
const BIG = arg('--big', 100_000);
const RULE = defaultBruteForceRule;
const WINDOW = RULE.window ?? DEFAULT_WINDOW_MS;
const PER_IP = RULE.threshold + 2;
/** events fed per tick: log lines arrive in chunks, and memory is sampled between them */
const CHUNK = 1000;

// A real GC for "heap after GC" figures without requiring --expose-gc on the command line.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const MB = (n: number) => `${(n / 1048576).toFixed(1)} MB`;
const tick = () => new Promise<void>((r) => setImmediate(r));

interface Mem {
  heap: number;
  rss: number;
}
const mem = (): Mem => {
  const m = process.memoryUsage();
  return { heap: m.heapUsed, rss: m.rss };
};
const settled = (): Mem => {
  gc();
  gc();
  return mem();
};
/** Tracks the peak heap and RSS over the samples it is given. */
const peakTracker = () => {
  const peak: Mem = { heap: 0, rss: 0 };
  return {
    sample: () => {
      const m = mem();
      peak.heap = Math.max(peak.heap, m.heap);
      peak.rss = Math.max(peak.rss, m.rss);
    },
    peak,
  };
};

/**
 * The i-th attacker: distinct public addresses spread over 11.0.0.0/8 (a multiplier
 * coprime with 2^24 scatters them; none is a network or broadcast-looking .0/.255 host).
 */
const attacker = (i: number, base = 11): string => {
  const n = (i * 2_654_435) % 16_777_216;
  const c = n & 255;
  return `${base}.${(n >> 16) & 255}.${(n >> 8) & 255}.${c === 0 ? 1 : c === 255 ? 254 : c}`;
};

/** The round's events lazily, interleaved: failure r of every address before failure r+1 of any. */
function* attack(ips: readonly string[], start: number, span: number): Generator<AuthFailure> {
  const total = ips.length * PER_IP;
  let k = 0;
  for (let r = 0; r < PER_IP; r++)
    for (let i = 0; i < ips.length; i++, k++)
      yield {
        ts: start + Math.floor((k * span) / total),
        ip: ips[i]!,
        kind: r % 2 === 0 ? 'invalid_user' : 'failed_password',
        user: r % 2 === 0 ? `admin${r}` : 'root',
        pid: 10_000 + (k % 50_000),
        program: 'sshd',
        pattern: r % 2 === 0 ? 'invalid_user' : 'failed_password',
      };
}

/** Feeds events into a subject CHUNK at a time, yielding to the event loop in between. */
const feed = async (subject: Subject<AuthFailure>, events: Iterable<AuthFailure>, onChunk: () => void): Promise<number> => {
  let n = 0;
  for (const e of events) {
    subject.next(e);
    if (++n % CHUNK === 0) {
      onChunk();
      await tick();
    }
  }
  onChunk();
  return n;
};

// ── backends ──

interface Counted {
  backend: 'nftables (in netns)' | 'counting (in-memory)';
  /** nft processes run for bans (one per batch) / backend.ban calls for the counting backend */
  batches: () => number;
  /** time spent in the backend (nft processes), ms */
  backendMs: () => number;
  /** elements handed to the firewall, per target */
  perTarget: Map<string, number>;
  /** what the firewall holds at the end, read back from it */
  listBack: () => Promise<string[]>;
}

const countingBackend = (perTarget: Map<string, number>): FirewallBackend & { calls: number } => {
  const held = new Set<string>();
  const b = {
    name: 'dry_run' as const,
    calls: 0,
    start: async () => {},
    check: async () => {},
    ban: async (entries: readonly BanEntry[]) => {
      b.calls++;
      for (const e of entries) held.add(e.target);
      return [];
    },
    unban: async (targets: readonly string[]) => {
      for (const t of targets) held.delete(t);
      return [];
    },
    list: async () => [...held].map((target) => ({ target, expiresInMs: null })),
    flush: async () => held.clear(),
    stop: async () => {},
  };
  return b;
};

const firewallOptions: FirewallOptions = {
  enabled: true,
  backend: 'nftables',
  block_script: '',
  unblock_script: '',
  restore_on_startup: true,
  ctl_socket: '',
  whitelist: [],
  nft_table: 'panicmode',
  ban_duration: 3_600_000,
  ban_increment: { enabled: false, factor: 2, max: 86_400_000 },
  ipv6_prefix: 64,
  dry_run: false,
};

// ── part 1 ──

const part1 = async (): Promise<void> => {
  const dir = mkdtempSync(join(tmpdir(), 'panicmode-bench-10k-'));
  let netns: TestNetns | null = null;
  // also on an uncaught error ('exit' still runs): no namespace or temp dir is left behind
  const removeNetns = () => {
    netns?.remove();
    rmSync(dir, { recursive: true, force: true });
  };
  const interrupted = () => {
    removeNetns();
    process.exit(130);
  };
  process.once('exit', removeNetns);
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  let opened: Awaited<ReturnType<typeof openDatabase>> | null = null;
  let manager: BanManager | null = null;
  try {
    opened = await openDatabase(join(dir, 'panicmode.db'));
    const logger = createLogger('bench', { level: 'error' });
    const perTarget = new Map<string, number>();
    let counted: Counted;
    const why = netnsUnavailable();
    if (why === null) {
      netns = createNetns();
      const inner = netns.nft;
      let batches = 0;
      let nftMs = 0;
      // Counts nft processes and every element each ban batch carries.
      const nft: NftRunner = (args, stdin) => {
        if (stdin && /^add element /m.test(stdin)) {
          batches++;
          for (const m of stdin.matchAll(/^add element \S+ \S+ \S+ \{ (.*) \}$/gm))
            for (const el of m[1]!.split(', ')) {
              const target = el.split(' ')[0]!;
              perTarget.set(target, (perTarget.get(target) ?? 0) + 1);
            }
        }
        const t = performance.now();
        return inner(args, stdin).finally(() => (nftMs += performance.now() - t));
      };
      manager = createFirewall({ db: opened.db, options: firewallOptions, logger, nft, ownAddresses: () => [] });
      const ns = netns;
      counted = { backend: 'nftables (in netns)', batches: () => batches, backendMs: () => nftMs, perTarget, listBack: async () => kernelSet(ns) };
    } else {
      console.log(`(real nftables unavailable: ${why}; using the counting backend)`);
      const backend = countingBackend(perTarget);
      const origBan = backend.ban;
      backend.ban = async (entries) => {
        for (const e of entries) perTarget.set(e.target, (perTarget.get(e.target) ?? 0) + 1);
        return origBan(entries);
      };
      manager = createBanManager({
        db: opened.db,
        backend,
        options: firewallOptions,
        neverBlock: createNeverBlock({ whitelist: [], ownAddresses: () => [] }),
        logger,
      });
      counted = {
        backend: 'counting (in-memory)',
        batches: () => backend.calls,
        backendMs: () => 0,
        perTarget,
        listBack: async () => ((await backend.list()) ?? []).map((h) => h.target),
      };
    }
    await manager.start();
    const action = blockIpAction(manager);

    const ips = Array.from({ length: IPS }, (_, i) => attacker(i));
    if (new Set(ips).size !== IPS) throw new Error('attacker addresses are not distinct');

    // The shadow counter: the same class with the same options detectBruteForce builds
    // internally, fed the same events, so its size is the detector's retained keys.
    const shadow = new KeyedWindowCounter<AuthFailure>({ windowMs: WINDOW, threshold: RULE.threshold });
    const subject = new Subject<AuthFailure>();
    const outcomes: Promise<{ banned: string[]; already: number }>[] = [];
    let incidents = 0;
    const abort = new AbortController();
    const onIncident = (incident: Incident) => {
      incidents++;
      outcomes.push(
        manager!.block(incident.metadata.ips ?? [], { reason: incident.name }).then((r) => ({
          banned: r.banned.map((b) => b.ip),
          already: r.already.length,
        })),
      );
    };
    // Round 1 goes through the block_ip action exactly as the agent runs it; round 2 reads
    // the manager's result directly to count "already" precisely.
    let useAction = true;
    const sub = subject.pipe(detectBruteForce(RULE, { timeOf: (f) => f.ts! })).subscribe((incident) => {
      if (!useAction) return onIncident(incident);
      incidents++;
      outcomes.push(
        action.run({ incident, dryRun: false, signal: abort.signal }).then((o) => ({
          banned: o.target ? o.target.split(' ') : [],
          already: Number(/(\d+) already blocked/.exec(o.summary)?.[1] ?? 0),
        })),
      );
    });
    const shadowFeed = (it: Iterable<AuthFailure>) =>
      (function* () {
        for (const e of it) {
          shadow.add(e.ip, e.ts!, e);
          yield e;
        }
      })();

    const T0 = Date.parse('2025-03-01T12:00:00Z');
    const rounds: { events: number; incidents: number; banned: number; already: number; wallMs: number; batches: number; backendMs: number; before: Mem; after: Mem; peak: Mem; keys: number }[] = [];
    for (const [r, start] of [T0, T0 + 2 * WINDOW].entries()) {
      useAction = r === 0;
      outcomes.length = 0;
      incidents = 0;
      const before = settled();
      const batches0 = counted.batches();
      const backendMs0 = counted.backendMs();
      const track = peakTracker();
      const t = performance.now();
      // all of one round's failures inside 50 s: one window
      const events = await feed(subject, shadowFeed(attack(ips, start, WINDOW - 10_000)), track.sample);
      const results = await Promise.all(outcomes);
      const wallMs = performance.now() - t;
      track.sample();
      const after = settled();
      rounds.push({
        events,
        incidents,
        banned: results.reduce((n, x) => n + x.banned.length, 0),
        already: results.reduce((n, x) => n + x.already, 0),
        wallMs,
        batches: counted.batches() - batches0,
        backendMs: counted.backendMs() - backendMs0,
        before,
        after,
        peak: track.peak,
        keys: shadow.size,
      });
    }
    // One more failure, from an address not in the attack, after the window has passed:
    // the detector sweeps what the attack left behind.
    subject.next({ ts: T0 + 4 * WINDOW, ip: '198.51.100.7', kind: 'failed_password', program: 'sshd', pattern: 'failed_password' });
    shadow.add('198.51.100.7', T0 + 4 * WINDOW, {} as AuthFailure);
    const keysAfterWindow = shadow.size;
    sub.unsubscribe();

    const held = await counted.listBack();
    const heldSet = new Set(held);
    const rows = opened.sqlite.prepare('SELECT COUNT(*) AS n, COUNT(DISTINCT ip) AS d FROM blocked_ips WHERE active = 1').get() as { n: number; d: number };
    const duplicates = [...counted.perTarget.values()].filter((n) => n > 1).length;
    const missing = ips.filter((ip) => !heldSet.has(ip)).length;

    console.log(`\nPart 1: ${IPS} distinct attacking IPv4 addresses (11.0.0.0/8), ${PER_IP} failures each within one ${WINDOW / 1000} s window, interleaved;`);
    console.log(`        rule "${RULE.name}" (threshold ${RULE.threshold}, window ${WINDOW / 1000} s) → block_ip → ban manager → ${counted.backend}, SQLite file`);
    rounds.forEach((r, i) => {
      console.log(`  round ${i + 1}${i === 1 ? ' (same IPs again)' : ''}: ${r.events} events → ${r.incidents} incidents → ${r.banned} banned, ${r.already} already blocked; ${r.batches} backend call(s)${counted.backend.startsWith('nft') ? ` (nft batches, ${r.backendMs.toFixed(0)} ms in nft)` : ''}; wall ${r.wallMs.toFixed(0)} ms (${Math.round(r.events / (r.wallMs / 1000))} events/s)`);
      console.log(`    heap ${MB(r.before.heap)} before → ${MB(r.after.heap)} after GC (peak ${MB(r.peak.heap)}); RSS ${MB(r.before.rss)} → ${MB(r.after.rss)} (peak ${MB(r.peak.rss)}); detector keys at round end ${r.keys}`);
    });
    console.log(`  distinct IPs banned: ${new Set([...counted.perTarget.keys()]).size}; elements handed to the firewall: ${[...counted.perTarget.values()].reduce((a, b) => a + b, 0)}; duplicates: ${duplicates}`);
    console.log(`  firewall set read back at the end: ${held.length} elements (${heldSet.size} distinct), ${missing} attackers missing; blocked_ips active rows ${rows.n} (${rows.d} distinct)`);
    console.log(`  detector retained keys: ${rounds[1]!.keys} at the end of round 2 → ${keysAfterWindow} once the window has passed (one later failure triggers the sweep)`);
    const ok = duplicates === 0 && missing === 0 && rounds[0]!.banned === IPS && rounds[1]!.banned === 0 && rounds[1]!.already === IPS && held.length === IPS;
    console.log(`  ${ok ? 'OK' : 'FAILED'}: every attacker banned exactly once${ok ? '' : ' — NOT SO'}`);
    if (!ok) process.exitCode = 1;
  } finally {
    await manager?.stop().catch(() => undefined);
    await opened?.close().catch(() => undefined);
    removeNetns();
    process.removeListener('exit', removeNetns);
    process.removeListener('SIGINT', interrupted);
    process.removeListener('SIGTERM', interrupted);
    rmSync(dir, { recursive: true, force: true });
  }
};

/** The v4 set as the kernel holds it, listed back with nft inside the namespace. */
const kernelSet = (ns: TestNetns): string[] => {
  const out = ns.exec('nft', ['-j', 'list', 'set', 'inet', firewallOptions.nft_table, 'banned_v4']);
  const doc = JSON.parse(out) as { nftables: { set?: { elem?: unknown[] } }[] };
  const elems = doc.nftables.flatMap((x) => x.set?.elem ?? []);
  return elems.map((e) => {
    const v = e && typeof e === 'object' && 'elem' in e ? (e as { elem: { val: unknown } }).elem.val : e;
    if (typeof v === 'string') return v;
    const p = (v as { prefix?: { addr: string; len: number } }).prefix;
    return p ? (p.len === 32 ? p.addr : `${p.addr}/${p.len}`) : JSON.stringify(v);
  });
};

// ── part 2 ──

const part2 = async (): Promise<void> => {
  const subject = new Subject<AuthFailure>();
  let incidents = 0;
  const sub = subject.pipe(detectBruteForce(RULE, { timeOf: (f) => f.ts! })).subscribe(() => incidents++);
  const T0 = Date.parse('2025-03-01T13:00:00Z');
  const base = settled();
  console.log(`\nPart 2: detectBruteForce alone, ${BIG} distinct addresses per window, ${PER_IP} failures each (no bans); heap after GC`);
  console.log(`  start: heap ${MB(base.heap)}, RSS ${MB(base.rss)}`);
  for (let w = 0; w < 2; w++) {
    const ips = Array.from({ length: BIG }, (_, i) => attacker(i, 20 + w));
    const track = peakTracker();
    const before = incidents;
    const t = performance.now();
    const n = await feed(subject, attack(ips, T0 + w * 2 * WINDOW, WINDOW - 10_000), track.sample);
    const wallMs = performance.now() - t;
    const live = settled();
    // the window passes: one failure a full window after the round's last one
    subject.next({ ts: T0 + w * 2 * WINDOW + (WINDOW - 10_000) + WINDOW, ip: '198.51.100.9', kind: 'failed_password', program: 'sshd', pattern: 'failed_password' });
    const swept = settled();
    console.log(
      `  window ${w + 1}: ${n} events, ${incidents - before} incidents, ${wallMs.toFixed(0)} ms (${Math.round(n / (wallMs / 1000))} events/s); ` +
        `heap with the window live ${MB(live.heap)} (+${MB(live.heap - base.heap)}; peak ${MB(track.peak.heap)}, RSS peak ${MB(track.peak.rss)}), ` +
        `after the window passed ${MB(swept.heap)} (${swept.heap - base.heap >= 0 ? '+' : ''}${MB(swept.heap - base.heap)} vs start)`,
    );
    ips.length = 0;
  }
  sub.unsubscribe();
  const end = settled();
  console.log(`  after unsubscribe: heap ${MB(end.heap)}, RSS ${MB(end.rss)}`);
};

const t0 = performance.now();
await part1();
await part2();
console.log(`\ntotal ${((performance.now() - t0) / 1000).toFixed(1)} s`);
