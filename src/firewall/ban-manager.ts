/**
 * The ban manager: decides what to ban, bans it once, remembers it, lifts it on time.
 *
 * block(ips) → for each address: never-block list (skip, logged with the reason) →
 * already covered by a ban in force or in flight (skip: each attacker is banned once) →
 * the target (v6: its /64, widening on repeat offences) → the ban length (the action's
 * duration, grown for repeat offenders) → one backend call for the whole burst (one
 * nft batch) → recorded in `blocked_ips`.
 *
 * The database is the source of truth across restarts: `start()` lifts bans that
 * expired while the agent was down, then reconciles the firewall with the database
 * (adds what is missing when `restore_on_startup`, removes what PanicMode's own table
 * holds but the database does not), never flushing anything. One timer, set for the
 * next expiry, lifts bans on time.
 *
 * While running, memory is the source of truth and the database its durable copy:
 * protection never depends on storage. A ban goes into the firewall first; if its row
 * cannot be written (disk full, database locked), it stays in force, is listed and
 * lifted on time from memory, and its row is written later, retried until the disk has
 * room. The operator hears about it through `onStorageFailure`.
 *
 * Backend calls go one at a time through a queue (bans queued meanwhile form the next
 * burst), behind a circuit breaker: a broken firewall is not hammered 10,000 times.
 */
import { asyncScheduler, type SchedulerLike } from 'rxjs';
import type { BlockedIpRow, Db } from '../storage/schema.js';
import type { Logger } from '../log/logger.js';
import type { BanEntry, FirewallBackend, TargetFailure } from './backend.js';
import { admitted, type NeverBlock } from './never-block.js';
import { activeBans, findBans, saveBans, type BanRow } from './ban-store.js';
import { recentBanCounts, recordBanEvents } from './ban-events.js';
import { recidiveDuration } from './recidive.js';
import { parseTarget, prefixOf, targetOf, cidrContains, familyBits, type BanTarget } from './address.js';
import { banDuration, ipv6Ladder, DEFAULT_BAN_MS, defaultCircuitBreakers, type CircuitBreakerOptions, type FirewallOptions } from './firewall-options.js';
import { createCircuitBreaker } from '../../streams/circuitBreaker.js';
import { formatDuration } from '../config/duration.js';

/** A ban as shown to people: its row without the `active` flag. */
export type BanView = Omit<BlockedIpRow, 'active'>;

/**
 * Where a ban the firewall holds stands: `in force`, or `lifting` from its expiry (or
 * the request to lift it) until its unblock has returned OK.
 */
export type BanState = 'in force' | 'lifting';

/** A ban as `panicmode ctl list` shows it. */
export interface ListedBan extends BanView {
  state: BanState;
  /** why the last unblock of a `lifting` ban failed (it is tried again); null otherwise */
  lift_error: string | null;
}

export interface BlockOptions {
  reason: string;
  /** ban length in ms before repeat-offender growth; null = until lifted; default firewall.ban_duration */
  durationMs?: number | null;
  /**
   * Ban exactly this address or prefix for exactly this long: no /64 widening, no
   * growth (manual bans from `panicmode ctl ban`).
   */
  exact?: boolean;
}

/** What a ban or a limit did not do, per input address (shared by bans and connection limits). */
export interface AddressRefusals {
  /** inputs already covered (by a ban, or a limit of that rate) in force or being put in force */
  already: { ip: string; by: string }[];
  /** inputs on the never-block list, with the reason */
  skipped: { ip: string; reason: string }[];
  /** inputs that are not addresses at all */
  invalid: string[];
  /** inputs the backend failed to act on */
  failed: { ip: string; error: string }[];
}

export interface BlockResult extends AddressRefusals {
  /** bans put in force now */
  banned: BanView[];
}

export interface ReconcileReport {
  /** bans the database holds that were (re)applied to the firewall */
  added: string[];
  /** elements of PanicMode's own table the database does not know, removed */
  removed: string[];
  /** bans that had expired while the agent was down, lifted */
  expired: string[];
}

export interface BanManager {
  /** Prepares the backend, lifts overdue bans, reconciles, arms the expiry timer. */
  start(): Promise<ReconcileReport>;
  block(ips: readonly string[], options: BlockOptions): Promise<BlockResult>;
  /** What block() would do, changing nothing (dry-run summaries). */
  plan(ips: readonly string[], options: BlockOptions): Promise<BlockResult>;
  /** Lifts the ban on this address or prefix (or the ban covering this address). */
  unblock(ip: string): Promise<{ lifted: string[] }>;
  /**
   * Every ban the firewall holds as far as the manager knows, oldest first: in force, or
   * being lifted. A ban leaves the list only once its unblock has returned OK.
   */
  list(): Promise<ListedBan[]>;
  /** Compares the firewall with the database and repairs the difference, without flushing. */
  reconcile(options?: { addMissing?: boolean }): Promise<ReconcileReport>;
  /** Re-applies live bans (reconcile adding what is missing). */
  restoreOnStartup(): Promise<ReconcileReport>;
  /** Lifts bans whose time has come; called by the timer, callable by tests. */
  liftExpired(): Promise<string[]>;
  /** Stops the timer and the backend. Bans stay in force. */
  stop(): Promise<void>;
}

export interface BanManagerDeps {
  db: Db;
  backend: FirewallBackend;
  options: Pick<FirewallOptions, 'restore_on_startup' | 'ban_duration' | 'ban_increment' | 'ipv6_prefix' | 'recidive'>;
  circuit?: CircuitBreakerOptions;
  neverBlock: NeverBlock;
  logger: Logger;
  /**
   * The pipeline's clock: timestamps, and the expiry and retry timers (ban expiry runs
   * in virtual time under a TestScheduler). Without it: `now` (default the wall clock)
   * and Node timers that do not keep the process alive.
   */
  scheduler?: SchedulerLike;
  now?: () => number;
  /**
   * Ban rows could not be read or written (the message says which and why). Bans stay in
   * force regardless; the caller tells the operator, through channels that need no disk.
   */
  onStorageFailure?: (message: string) => void;
  /** how soon unwritten ban rows are tried again; default 5 s */
  storageRetryMs?: number;
}

/** setTimeout's limit: a longer delay fires at once. */
const MAX_TIMER_MS = 2_147_483_647;
/** When an unban fails (a broken unblock script), how soon to try again. */
const RETRY_MS = 10_000;
/** How soon ban rows the database refused are written again. */
const STORAGE_RETRY_MS = 5_000;

const view = (r: BanRow): BanView => ({
  ip: r.ip,
  blocked_at: r.blocked_at,
  expires_at: r.expires_at,
  reason: r.reason,
  ban_count: r.ban_count,
  backend: r.backend,
});

const emptyResult = (): BlockResult => ({ banned: [], already: [], skipped: [], invalid: [], failed: [] });

interface Decision {
  input: string;
  target: BanTarget;
  row: BanRow;
  /** narrower bans in force the new one replaces (an nft interval set refuses overlaps) */
  replaces: string[];
}

export const createBanManager = (deps: BanManagerDeps): BanManager => {
  const { db, backend, neverBlock, logger } = deps;
  const clock = deps.scheduler;
  const now = deps.now ?? (() => (clock ?? asyncScheduler).now());
  /** Runs `work` in `ms` on the scheduler (or an unref'd Node timer); returns how to cancel it. */
  const after = (ms: number, work: () => void): (() => void) => {
    if (clock) {
      const sub = clock.schedule(work, ms);
      return () => sub.unsubscribe();
    }
    const t = setTimeout(work, ms);
    t.unref();
    return () => clearTimeout(t);
  };
  const circuit = deps.circuit ?? defaultCircuitBreakers;
  const baseMs = deps.options.ban_duration ?? DEFAULT_BAN_MS;
  const ladder = ipv6Ladder(deps.options.ipv6_prefix);
  const breaker = createCircuitBreaker({
    maxFailures: circuit.max_failures,
    failureWindowMs: circuit.failure_window,
    openDurationMs: circuit.open_duration,
    now,
  });

  /** Bans in force, by target text: the in-memory mirror of active rows. */
  const active = new Map<string, BanRow>();
  /** How many active targets have each prefix length, per family (for covering lookups). */
  const lengths: Record<4 | 6, Map<number, number>> = { 4: new Map(), 6: new Map() };
  /**
   * Targets being put in force right now, with the outcome of that attempt (an error when
   * it failed). An incident that finds its address covered by a ban in flight waits for
   * it: "already blocked" only once that ban is in force, or a repeat would be deduplicated
   * behind a ban that never happened.
   */
  const pending = new Map<string, Promise<Error | undefined>>();
  /**
   * Bans whose unblock has been called and has not returned OK, by target: the call is
   * running, or it failed and the ban waits to be tried again (with why it failed). A ban
   * stays indexed, listed `lifting`, until its unblock returns OK; an expired ban is
   * `lifting` before its call starts too. `running` keeps a second pass (any block re-arms
   * the timer) from lifting it again meanwhile.
   */
  const lifting = new Map<string, { running: boolean; failure: { error: string; retryAt: number } | null }>();
  /** cancels the expiry (or retry) timer */
  let timer: (() => void) | undefined;
  let stopped = false;

  // ── recording: the database follows memory, and its failures never undo a ban ──

  /** Rows whose latest state the database does not hold yet, by target (latest wins). */
  const unsaved = new Map<string, BanRow>();
  let writing: Promise<void> = Promise.resolve();
  /** cancels the timer that writes unsaved rows again */
  let storageTimer: (() => void) | undefined;
  let storageFailing = false;

  const storageFailed = (what: string, err: unknown) => {
    const message = `${what}: ${(err as Error).message}`;
    // Said loudly once per outage; the retries meanwhile only at debug level.
    if (storageFailing) logger.debug('ban storage still failing', { error: message, unsaved: unsaved.size });
    else logger.error('ban storage failed; bans stay in force, kept in memory and written when storage recovers', { error: message, unsaved: unsaved.size });
    storageFailing = true;
    deps.onStorageFailure?.(message);
  };

  const writeUnsaved = (): Promise<void> => {
    writing = writing.then(async () => {
      if (unsaved.size === 0) return;
      const rows = [...unsaved.values()];
      try {
        await saveBans(db, rows);
      } catch (err) {
        storageFailed(`${rows.length} ban record(s) not written`, err);
        if (!stopped && !storageTimer) {
          storageTimer = after(deps.storageRetryMs ?? STORAGE_RETRY_MS, () => {
            storageTimer = undefined;
            void writeUnsaved();
          });
        }
        return;
      }
      for (const r of rows) if (unsaved.get(r.ip) === r) unsaved.delete(r.ip);
      if (storageFailing) {
        storageFailing = false;
        logger.info(`ban storage recovered: ${rows.length} pending ban record(s) written`);
      }
    });
    return writing;
  };

  /** Records rows (new bans, or lifted ones with active = 0); never throws. */
  const record = (rows: readonly BanRow[]): Promise<void> => {
    if (rows.length === 0) return writing;
    for (const r of rows) unsaved.set(r.ip, r);
    return writeUnsaved();
  };

  /** Forgets bans lifted from the firewall and records them as inactive. */
  const forget = (ips: readonly string[]): Promise<void> => {
    const rows: BanRow[] = [];
    for (const ip of ips) {
      const row = active.get(ip);
      if (row) rows.push({ ...row, active: 0 });
      unindex(ip);
    }
    return record(rows);
  };

  const index = (row: BanRow) => {
    const t = parseTarget(row.ip);
    if (!t) return;
    if (!active.has(row.ip)) lengths[t.family].set(t.cidr.prefix, (lengths[t.family].get(t.cidr.prefix) ?? 0) + 1);
    active.set(row.ip, row);
    // A new ban of a target whose earlier ban failed to lift: that failure is not its own.
    if (!lifting.get(row.ip)?.running) lifting.delete(row.ip);
  };
  const unindex = (ip: string) => {
    const t = parseTarget(ip);
    if (!t || !active.delete(ip)) return;
    const n = (lengths[t.family].get(t.cidr.prefix) ?? 1) - 1;
    if (n <= 0) lengths[t.family].delete(t.cidr.prefix);
    else lengths[t.family].set(t.cidr.prefix, n);
  };
  const live = (row: BanRow, t = now()) => row.expires_at === null || row.expires_at > t;

  /** The ban in force or in flight that covers `target`, if any. */
  const coveredBy = (target: BanTarget): string | null => {
    const fam = target.family;
    for (const len of lengths[fam].keys()) {
      if (len > target.cidr.prefix) continue;
      const key = targetOf(prefixOf(target.cidr, len)).text;
      const row = active.get(key);
      if (row && live(row)) return key;
    }
    for (const len of [target.cidr.prefix, ...ladder]) {
      if (len > target.cidr.prefix) continue;
      const key = targetOf(prefixOf(target.cidr, len)).text;
      if (pending.has(key)) return key;
    }
    return null;
  };

  /** Active bans strictly inside `target` (replaced when a wider ban goes in). */
  const inside = (target: BanTarget): string[] => {
    if (target.cidr.prefix === familyBits(target.family)) return [];
    const out: string[] = [];
    for (const [ip] of active) {
      const t = parseTarget(ip);
      if (t && t.text !== target.text && cidrContains(target.cidr, t.cidr)) out.push(ip);
    }
    return out;
  };

  // ── backend queue: one call at a time; bans queued meanwhile form the next burst ──

  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(f: () => Promise<T>): Promise<T> => {
    const p = chain.then(f, f);
    chain = p.catch(() => undefined);
    return p;
  };

  interface Queued {
    entry: BanEntry;
    resolve: (error: Error | null) => void;
  }
  let queue: Queued[] = [];
  let flushing: Promise<void> | null = null;

  const callBackend = async (what: 'ban' | 'unban', items: string[], f: () => Promise<TargetFailure[]>): Promise<Map<string, Error>> => {
    const failed = new Map<string, Error>();
    if (items.length === 0) return failed;
    if (!breaker.canRun()) {
      const e = new Error(`circuit open after ${circuit.max_failures} firewall failures; retrying after ${formatDuration(circuit.open_duration)}`);
      for (const t of items) failed.set(t, e);
      return failed;
    }
    try {
      for (const f2 of await f()) failed.set(f2.target, f2.error);
    } catch (err) {
      for (const t of items) failed.set(t, err as Error);
    }
    if (failed.size === items.length) breaker.recordFailure();
    else breaker.recordSuccess();
    if (failed.size > 0) logger.error(`${what} failed for ${failed.size} of ${items.length}`, { first: [...failed.values()][0]!.message });
    return failed;
  };

  const flush = async (): Promise<void> => {
    while (queue.length > 0) {
      const burst = queue;
      queue = [];
      const failed = await serial(() =>
        callBackend('ban', burst.map((q) => q.entry.target), () => backend.ban(burst.map((q) => q.entry))),
      );
      for (const q of burst) q.resolve(failed.get(q.entry.target) ?? null);
    }
  };

  const startFlush = () => {
    // Bans decided in the same tick travel together: one nft batch per burst.
    flushing = new Promise<void>((r) => setImmediate(r))
      .then(flush)
      .finally(() => {
        flushing = null;
        if (queue.length > 0) startFlush();
      });
  };

  const enqueueBan = (entry: BanEntry): Promise<Error | null> =>
    new Promise((resolve) => {
      queue.push({ entry, resolve });
      if (!flushing) startFlush();
    });

  const unbanNow = (targets: string[]) => serial(() => callBackend('unban', targets, () => backend.unban(targets)));

  /**
   * Lifts bans in force or expired: `lifting` from the call until it returns; those it
   * lifted are forgotten. An expired ban whose unblock failed stays `lifting`, with the
   * error, until it is tried again RETRY_MS later; a ban not yet due whose unblock failed
   * (a request, a replaced ban) is in force again.
   */
  const lift = async (targets: string[]): Promise<{ lifted: string[]; failed: Map<string, Error> }> => {
    for (const ip of targets) lifting.set(ip, { running: true, failure: lifting.get(ip)?.failure ?? null });
    let failed = new Map<string, Error>();
    try {
      failed = await unbanNow(targets);
    } finally {
      const t = now();
      for (const ip of targets) {
        const row = active.get(ip);
        const err = failed.get(ip);
        if (row && err && !live(row, t)) lifting.set(ip, { running: false, failure: { error: err.message, retryAt: t + RETRY_MS } });
        else lifting.delete(ip);
      }
    }
    const lifted = targets.filter((ip) => !failed.has(ip));
    await forget(lifted);
    return { lifted, failed };
  };

  // ── decisions ──

  let decide: Promise<unknown> = Promise.resolve();
  /** Decisions run one at a time so two incidents cannot both ban the same address. */
  const decideSerially = <T>(f: () => Promise<T>): Promise<T> => {
    const p = decide.then(f, f);
    decide = p.catch(() => undefined);
    return p;
  };

  /** An input covered by a ban in flight: settled as `already` or `failed` by that ban's outcome. */
  interface InFlight {
    ip: string;
    by: string;
    /** that ban's outcome (taken when the decision is made: the ban may be done by the time it is awaited) */
    outcome?: Promise<Error | undefined>;
  }

  const makeDecisions = async (ips: readonly string[], o: BlockOptions, result: BlockResult, inFlight: InFlight[]): Promise<Decision[]> => {
    const t = now();
    const decisions: Decision[] = [];
    const chosen = new Set<string>();
    const candidates: { input: string; addr: BanTarget; steps: BanTarget[] }[] = [];
    for (const input of ips) {
      const addr = admitted(input, neverBlock, result, o.exact);
      if (!addr) continue;
      const by = coveredBy(addr);
      if (by) {
        if (pending.has(by) && !active.has(by)) inFlight.push({ ip: addr.text, by, outcome: pending.get(by) });
        else result.already.push({ ip: addr.text, by });
        continue;
      }
      const steps = o.exact || addr.family === 4 ? [addr] : ladder.map((len) => targetOf(prefixOf(addr.cidr, len)));
      candidates.push({ input: addr.text, addr, steps });
    }
    // One read for the whole burst: every key a repeat offender could have been banned under.
    const keys = new Set<string>();
    for (const c of candidates) for (const s of [c.addr, ...c.steps]) keys.add(s.text);
    // History only lengthens bans: when it cannot be read, the ban goes in as a first offence.
    const history = new Map<string, BanRow>();
    try {
      for (const r of await findBans(db, [...keys])) history.set(r.ip, r);
    } catch (err) {
      storageFailed('ban history not read', err);
    }
    for (const k of keys) {
      const r = unsaved.get(k);
      if (r) history.set(k, r);
    }
    const recidive = deps.options.recidive;
    let recent = new Map<string, number>();
    if (recidive?.enabled && candidates.length > 0) {
      try {
        recent = await recentBanCounts(db, [...keys], t - recidive.window);
      } catch (err) {
        storageFailed('recidive history not read', err);
      }
    }

    for (const c of candidates) {
      const prev = Math.max(0, ...[c.addr, ...c.steps].map((s) => history.get(s.text)?.ban_count ?? 0));
      const n = prev + 1;
      // The widest step this offence earns whose prefix spares every protected address.
      let target = c.addr;
      for (let level = Math.min(n - 1, c.steps.length - 1); level >= 0; level--) {
        const step = c.steps[level]!;
        if (!neverBlock.reasonNotToBlock(step)) {
          target = step;
          break;
        }
      }
      if (chosen.has(target.text)) {
        inFlight.push({ ip: c.input, by: target.text });
        continue;
      }
      chosen.add(target.text);
      const base = o.durationMs === undefined ? baseMs : o.durationMs;
      const grown = base === null ? null : o.exact ? base : banDuration(base, n, deps.options.ban_increment);
      // recidive: this ban and the earlier ones of the address (or its prefixes) within the window
      const nth = 1 + Math.max(0, ...[c.addr, ...c.steps].map((s) => recent.get(s.text) ?? 0));
      const duration = o.exact ? grown : recidiveDuration(grown, nth, recidive);
      decisions.push({
        input: c.input,
        target,
        replaces: inside(target),
        row: {
          ip: target.text,
          blocked_at: t,
          expires_at: duration === null ? null : t + duration,
          reason: duration !== grown ? `${o.reason} (recidive: ban ${nth} within ${formatDuration(recidive!.window)})` : o.reason,
          ban_count: n,
          backend: backend.name,
          active: 1,
        },
      });
    }
    return decisions;
  };

  // ── expiry ──

  /**
   * When the timer should lift this ban: at its expiry, or RETRY_MS after its unblock
   * failed (soon, not at once in a loop); never while its unblock runs, nor while a new
   * ban of its target is being put in force (that ban replaces it; an unblock behind it
   * would undo it), whose end re-arms the timer; nor for a ban without an end.
   */
  const liftDueAt = (row: BanRow): number | null => {
    const l = lifting.get(row.ip);
    if (l?.running || pending.has(row.ip)) return null;
    return l?.failure ? l.failure.retryAt : row.expires_at;
  };

  const schedule = () => {
    timer?.();
    timer = undefined;
    if (stopped) return;
    let next = Infinity;
    for (const row of active.values()) {
      const at = liftDueAt(row);
      if (at !== null && at < next) next = at;
    }
    if (next === Infinity) return;
    timer = after(Math.min(MAX_TIMER_MS, Math.max(0, next - now())), () => void liftExpired().catch((err) => logger.error('lifting expired bans failed', { error: err })));
  };

  const liftExpired = async (): Promise<string[]> => {
    const t = now();
    const due = [...active.values()].filter((r) => (liftDueAt(r) ?? Infinity) <= t).map((r) => r.ip);
    if (due.length === 0) {
      schedule();
      return [];
    }
    const { lifted } = await lift(due);
    for (const ip of lifted) logger.info(`ban lifted: ${ip} (expired)`);
    schedule();
    return lifted;
  };

  // ── reconcile ──

  const remaining = (row: BanRow, t: number) => (row.expires_at === null ? null : Math.max(1, row.expires_at - t));

  const reconcile = async (options: { addMissing?: boolean } = {}): Promise<ReconcileReport> => {
    const addMissing = options.addMissing ?? true;
    const report: ReconcileReport = { added: [], removed: [], expired: [] };
    const t = now();
    const wanted = [...active.values()].filter((r) => live(r, t));
    const held = await backend.list();
    let missing: BanRow[];
    if (held === null) {
      // The backend cannot list (a script): re-run the idempotent block for every live ban.
      missing = addMissing ? wanted : [];
    } else {
      const heldSet = new Set(held.map((h) => h.target));
      const wantedSet = new Set(wanted.map((r) => r.ip));
      missing = wanted.filter((r) => !heldSet.has(r.ip));
      const stale = held.map((h) => h.target).filter((ip) => !wantedSet.has(ip));
      if (stale.length > 0) {
        const failed = await unbanNow(stale);
        report.removed = stale.filter((ip) => !failed.has(ip));
        for (const ip of report.removed) logger.info(`removed ${ip} from the firewall: not a ban PanicMode knows`);
      }
      if (!addMissing && missing.length > 0) {
        // Not restoring: the database must not claim bans the firewall does not hold.
        await forget(missing.map((r) => r.ip));
        missing = [];
      }
    }
    if (missing.length > 0) {
      const entries = missing.map((r) => ({ target: r.ip, timeoutMs: remaining(r, t), reason: r.reason }));
      const failed = await serial(() => callBackend('ban', entries.map((e) => e.target), () => backend.ban(entries)));
      report.added = missing.map((r) => r.ip).filter((ip) => !failed.has(ip));
      if (report.added.length > 0) logger.info(`restored ${report.added.length} ban(s)`, { backend: backend.name });
    }
    return report;
  };

  const block = (ips: readonly string[], o: BlockOptions): Promise<BlockResult> => {
    const result = emptyResult();
    const inFlight: InFlight[] = [];
    const settle: ((err: Error | undefined) => void)[] = [];
    return decideSerially(async () => {
      const decisions = await makeDecisions(ips, o, result, inFlight);
      for (const d of decisions) pending.set(d.target.text, new Promise((resolve) => settle.push(resolve)));
      return decisions;
    }).then(async (decisions) => {
      const waited = inFlight.map((w) => ({ ...w, outcome: w.outcome ?? pending.get(w.by) }));
      for (const s of result.skipped) logger.info(`not blocking ${s.ip}: ${s.reason}`);
      for (const bad of result.invalid) logger.warn(`not blocking ${JSON.stringify(bad)}: not an IP address`);
      try {
        const replaced = [...new Set(decisions.flatMap((d) => d.replaces))];
        if (replaced.length > 0) await lift(replaced);
        const outcomes = await Promise.all(
          decisions.map((d) => enqueueBan({ target: d.target.text, timeoutMs: d.row.expires_at === null ? null : d.row.expires_at - d.row.blocked_at, reason: o.reason })),
        );
        const ok: BanRow[] = [];
        decisions.forEach((d, i) => {
          const err = outcomes[i];
          if (err) result.failed.push({ ip: d.input, error: err.message });
          else ok.push(d.row);
          settle[i]!(err ?? undefined);
        });
        // In force from here on, recorded or not: listed, deduplicated and lifted from memory.
        for (const row of ok) index(row);
        await record(ok);
        // kept whether recidive is on or not, so turning it on finds the recent history
        if (ok.length > 0) {
          await recordBanEvents(db, ok.map((r) => r.ip), ok[0]!.blocked_at).catch((err) => storageFailed('ban events not recorded', err));
        }
        for (const row of ok) {
          result.banned.push(view(row));
          const len = row.expires_at === null ? 'until lifted' : `for ${formatDuration(row.expires_at - row.blocked_at)}`;
          logger.info(`blocked ${row.ip} ${len} (${row.reason})`, { offence: row.ban_count, backend: backend.name });
        }
        for (const w of waited) {
          const err = await w.outcome;
          if (err) result.failed.push({ ip: w.ip, error: `the ban of ${w.by} in flight failed: ${err.message}` });
          else result.already.push({ ip: w.ip, by: w.by });
        }
        return result;
      } finally {
        const failure = new Error('the ban was not carried out');
        decisions.forEach((d, i) => {
          settle[i]!(failure); // no-op when already settled
          pending.delete(d.target.text);
        });
        // armed once these bans are out of flight: the expired bans of the same targets were
        // held back meanwhile (liftDueAt), and are lifted now if their replacement failed
        schedule();
      }
    });
  };

  return {
    start: async () => {
      await backend.start();
      let rows: BanRow[] = [];
      try {
        rows = await activeBans(db);
      } catch (err) {
        storageFailed('bans in force not read; none restored', err);
      }
      // Dry-run "bans" never reached a firewall: a real backend must not inherit them.
      const phantom = backend.name === 'dry_run' ? [] : rows.filter((r) => r.backend === 'dry_run');
      await record(phantom.map((r) => ({ ...r, active: 0 })));
      for (const r of rows) if (!phantom.includes(r)) index(r);
      const expired = await liftExpired();
      const report = deps.options.restore_on_startup ? await reconcile({ addMissing: true }) : await reconcile({ addMissing: false });
      report.expired = expired;
      schedule();
      return report;
    },
    block,
    plan: async (ips, o) => {
      const result = emptyResult();
      const inFlight: InFlight[] = [];
      const decisions = await decideSerially(() => makeDecisions(ips, o, result, inFlight));
      for (const d of decisions) result.banned.push(view(d.row));
      for (const w of inFlight) result.already.push({ ip: w.ip, by: w.by });
      return result;
    },
    unblock: async (ip) => {
      const target = parseTarget(ip);
      if (!target) return { lifted: [] };
      const hits = active.has(target.text)
        ? [target.text]
        : [...active.keys()].filter((k) => {
            const t = parseTarget(k);
            return t && cidrContains(t.cidr, target.cidr);
          });
      if (hits.length === 0) return { lifted: [] };
      const { lifted, failed } = await lift(hits);
      for (const h of lifted) logger.info(`ban lifted: ${h} (by request)`);
      // re-armed either way: an expired ban whose unblock failed here is tried again
      schedule();
      if (failed.size > 0) throw [...failed.values()][0]!;
      return { lifted };
    },
    list: async () => {
      const t = now();
      return [...active.values()]
        .sort((a, b) => a.blocked_at - b.blocked_at)
        .map((r): ListedBan => {
          const l = lifting.get(r.ip);
          return l || !live(r, t) ? { ...view(r), state: 'lifting', lift_error: l?.failure?.error ?? null } : { ...view(r), state: 'in force', lift_error: null };
        });
    },
    reconcile,
    restoreOnStartup: () => reconcile({ addMissing: true }),
    liftExpired,
    stop: async () => {
      stopped = true;
      timer?.();
      storageTimer?.();
      await flushing;
      await chain;
      // A last try for rows the disk refused. What is still unwritten is lost to the next
      // start: a script backend cannot list its bans, so the operator must hear which.
      await writeUnsaved();
      const lost = [...unsaved.values()].filter((r) => r.active === 1).map((r) => r.ip);
      if (lost.length > 0) logger.error(`${lost.length} ban(s) in force were never recorded: the next start will not lift them`, { ips: lost.join(' ') });
      await backend.stop();
    },
  };
};
