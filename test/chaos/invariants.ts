/**
 * The chaos suite's one checker: what must hold after any scenario, however the agent was
 * treated (killed, starved of disk, flooded with SIGHUP, rotated under, fed hostile
 * lines). Pure: the scenario's ground truth and the observed record in, a list of
 * violations out, each precise enough to diagnose from CI output alone.
 *
 * The invariants:
 * - every attacker over threshold is banned (the block script ran for it), exactly once:
 *   no second block of the same address while its ban is in force, and no new ban after
 *   its ban was lifted. A start or a completed reload re-applying a live ban is a
 *   restoration, not a second ban (the script backend cannot list what it holds, so it
 *   reconciles by re-running the idempotent block script): per run, a ban may be applied
 *   once plus once per reload completed after it;
 * - every ban is lifted on time: about `banDurationMs` after it was applied (or at the
 *   next start when it expired while the agent was down), never long before;
 * - no protected (whitelisted, never-block) or innocent address is ever banned, nor any
 *   address no scenario wrote;
 * - one incident per attacker per agent run (overlapping pipelines make several);
 * - every incident is alerted, or counted in a storm summary's `count`;
 * - the agent stays up until told otherwise, answers `ctl list` with exactly the bans the
 *   firewall holds (those being lifted as `lifting`), and exits on SIGTERM within its budget.
 */
import type { BanState } from '../../src/firewall/ban-manager.js';

export interface Attacker {
  /** what the firewall receives: canonical address, or the IPv6 prefix when bans are per prefix */
  target: string;
  /** failures written for it (over the threshold) */
  failures: number;
}

export interface GroundTruth {
  /** the auth_failures monitor's name: incidents and alerts are accounted under it */
  monitor: string;
  threshold: number;
  banDurationMs: number;
  attackers: readonly Attacker[];
  /** public addresses under the threshold, and addresses only injected into hostile lines */
  innocents: readonly { address: string; failures: number }[];
  /** whitelisted and never-block addresses, whatever their failure count */
  protectedAddresses: readonly string[];
}

export interface FirewallCall {
  verb: 'block' | 'unblock';
  target: string;
  /** unix ms, as the script saw it */
  at: number;
}

export interface AgentRun {
  startedAt: number;
  /** when the run ended, and how: `kill9` and `sigterm` are the scenario's doing */
  endedAt: number;
  end: 'kill9' | 'sigterm' | { code: number | null; signal: string | null };
  /** when each config reload of this run completed (SIGHUP) */
  reloads?: readonly number[];
}

export interface DeliveredAlert {
  name: string;
  status: string;
  /** occurrences it stands for: 1, or N for a storm summary */
  count: number;
  ips: readonly string[];
}

export interface RecordedIncident {
  name: string;
  status: string;
  ts: number;
  ips: readonly string[];
}

/**
 * A `ctl list` answer: asked at `at`, answered at `answeredAt` (the agent took its list at
 * one instant in between), each ban with its state.
 */
export type CtlListAnswer = { at: number; answeredAt: number; bans: readonly { ip: string; state: BanState }[] } | { at: number; error: string };

export interface ObservedRecord {
  runs: readonly AgentRun[];
  calls: readonly FirewallCall[];
  alerts: readonly DeliveredAlert[];
  incidents: readonly RecordedIncident[];
  ctlList: CtlListAnswer;
  /** the last run's SIGTERM: its budget, and how long the agent took (null: it never exited) */
  shutdown: { budgetMs: number; exitedAfterMs: number | null };
}

export interface CheckOptions {
  /** a lift this much before the ban's end is early (script queueing delays the recorded block) */
  earlyLiftSlackMs?: number;
  /** a lift this much after the ban's end (or the next start) is late */
  lateLiftSlackMs?: number;
}

export type Invariant =
  | 'attacker banned'
  | 'banned once'
  | 'lifted on time'
  | 'protected never banned'
  | 'innocent never banned'
  | 'one incident per attack'
  | 'every incident alerted'
  | 'agent stays up'
  | 'ctl list'
  | 'SIGTERM within budget';

export interface Violation {
  invariant: Invariant;
  message: string;
}

/** At most this many addresses named in one message; the count says the rest. */
const SAMPLE = 8;
const sample = (items: readonly string[]): string =>
  items.slice(0, SAMPLE).join(', ') + (items.length > SAMPLE ? `, … (${items.length - SAMPLE} more)` : '');
const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** The run (index) an instant belongs to: the last run started at or before it. */
const runIndexAt = (runs: readonly AgentRun[], at: number): number => {
  let idx = -1;
  for (let i = 0; i < runs.length; i++) if (runs[i]!.startedAt <= at) idx = i;
  return idx;
};

interface BanEpisode {
  target: string;
  /** block calls in force in this episode (the first applies, later ones restore) */
  blocks: { at: number; run: number }[];
  liftedAt: number | null;
}

/** Block/unblock calls per address, grouped into bans: a ban runs from a block to its unblock. */
const episodesOf = (calls: readonly FirewallCall[], runs: readonly AgentRun[]): Map<string, BanEpisode[]> => {
  const byTarget = new Map<string, BanEpisode[]>();
  for (const c of [...calls].sort((a, b) => a.at - b.at)) {
    const list = byTarget.get(c.target) ?? [];
    byTarget.set(c.target, list);
    const open = list.at(-1);
    if (c.verb === 'block') {
      if (open && open.liftedAt === null) open.blocks.push({ at: c.at, run: runIndexAt(runs, c.at) });
      else list.push({ target: c.target, blocks: [{ at: c.at, run: runIndexAt(runs, c.at) }], liftedAt: null });
    } else if (open && open.liftedAt === null) {
      open.liftedAt = c.at;
    }
  }
  return byTarget;
};

export const checkInvariants = (truth: GroundTruth, seen: ObservedRecord, options: CheckOptions = {}): Violation[] => {
  const early = options.earlyLiftSlackMs ?? 3000;
  const late = options.lateLiftSlackMs ?? 3000;
  const out: Violation[] = [];
  const add = (invariant: Invariant, message: string) => out.push({ invariant, message });
  const attackers = new Map(truth.attackers.map((a) => [a.target, a]));
  const innocents = new Map(truth.innocents.map((i) => [i.address, i]));
  const protectedSet = new Set(truth.protectedAddresses);
  const episodes = episodesOf(seen.calls, seen.runs);
  const lastRun = seen.runs.at(-1);
  const observedUntil = lastRun?.endedAt ?? 0;
  const unblocksWithoutBan = seen.calls.filter((c) => c.verb === 'unblock' && !episodes.get(c.target)?.some((e) => e.liftedAt === c.at));

  // ── every attacker banned, exactly once ──
  const missed = truth.attackers.filter((a) => !episodes.has(a.target) || episodes.get(a.target)!.length === 0).map((a) => a.target);
  if (missed.length > 0)
    add(
      'attacker banned',
      `${missed.length} of ${truth.attackers.length} attackers over the threshold (> ${truth.threshold} failures) were never banned (no block call): ${sample(missed)}`,
    );

  const duplicated: string[] = [];
  const rebanned: string[] = [];
  for (const [target, list] of episodes) {
    if (!attackers.has(target)) continue;
    for (const e of list) {
      const perRun = new Map<number, { n: number; first: number }>();
      for (const b of e.blocks) {
        const r = perRun.get(b.run);
        if (r) r.n++;
        else perRun.set(b.run, { n: 1, first: b.at });
      }
      for (const [run, { n, first }] of perRun) {
        const reloads = (seen.runs[run]?.reloads ?? []).filter((t) => t > first).length;
        if (n > 1 + reloads) duplicated.push(`${target} (${n} block calls in run ${run + 1}, ${reloads} reloads after its ban)`);
      }
    }
    if (list.length > 1) rebanned.push(`${target} (${list.length} bans: lifted at ${list.slice(0, -1).map((e) => new Date(e.liftedAt!).toISOString()).join(', ')}, then banned again)`);
  }
  if (duplicated.length > 0)
    add('banned once', `${duplicated.length} attackers were blocked more than once while their ban was in force: ${sample(duplicated)}`);
  if (rebanned.length > 0) add('banned once', `${rebanned.length} attackers were banned again after their ban was lifted: ${sample(rebanned)}`);

  // ── lifted on time ──
  const liftedEarly: string[] = [];
  const liftedLate: string[] = [];
  const neverLifted: string[] = [];
  for (const [target, list] of episodes) {
    for (const e of list) {
      const first = e.blocks[0]!.at;
      const last = e.blocks.at(-1)!.at;
      const due = first + truth.banDurationMs;
      // A ban re-applied in a later run (its record was lost in a kill) may restart its clock.
      const dueLatest = last + truth.banDurationMs;
      // Due while the agent was down: it is lifted at the next start.
      const runAtDue = runIndexAt(seen.runs, dueLatest);
      const downAtDue = runAtDue >= 0 && seen.runs[runAtDue]!.endedAt < dueLatest;
      const nextStart = downAtDue ? seen.runs[runAtDue + 1]?.startedAt : undefined;
      const deadline = (nextStart !== undefined ? Math.max(dueLatest, nextStart) : dueLatest) + late;
      if (e.liftedAt !== null) {
        if (e.liftedAt < due - early) liftedEarly.push(`${target} after ${secs(e.liftedAt - first)} (ban ${secs(truth.banDurationMs)})`);
        else if (e.liftedAt > deadline) liftedLate.push(`${target} ${secs(e.liftedAt - dueLatest)} after its end`);
      } else if (deadline < observedUntil) {
        neverLifted.push(`${target} (due ${secs(dueLatest - first)} after its ban, watched ${secs(observedUntil - first)})`);
      }
    }
  }
  if (neverLifted.length > 0) add('lifted on time', `${neverLifted.length} bans were never lifted (no unblock call): ${sample(neverLifted)}`);
  if (liftedEarly.length > 0) add('lifted on time', `${liftedEarly.length} bans were lifted early: ${sample(liftedEarly)}`);
  if (liftedLate.length > 0) add('lifted on time', `${liftedLate.length} bans were lifted late: ${sample(liftedLate)}`);
  if (unblocksWithoutBan.length > 0) {
    const perTarget = new Map<string, number>();
    for (const c of unblocksWithoutBan) perTarget.set(c.target, (perTarget.get(c.target) ?? 0) + 1);
    add(
      'lifted on time',
      `${unblocksWithoutBan.length} unblock calls for addresses not banned at the time: ${sample([...perTarget].map(([t, n]) => (n > 1 ? `${t} ×${n}` : t)))}`,
    );
  }

  // ── no protected, innocent or unknown address banned ──
  const bannedProtected: string[] = [];
  const bannedInnocent: string[] = [];
  const bannedUnknown: string[] = [];
  for (const target of episodes.keys()) {
    if (attackers.has(target)) continue;
    if (protectedSet.has(target)) bannedProtected.push(target);
    else if (innocents.has(target)) {
      const f = innocents.get(target)!.failures;
      bannedInnocent.push(`${target} (${f === 0 ? 'never failed: only named inside other lines' : `${f} failures, threshold ${truth.threshold}`})`);
    }
    else if (seen.calls.some((c) => c.verb === 'block' && c.target === target)) bannedUnknown.push(target);
  }
  if (bannedProtected.length > 0) add('protected never banned', `${bannedProtected.length} protected (whitelisted or never-block) addresses were banned: ${sample(bannedProtected)}`);
  if (bannedInnocent.length > 0) add('innocent never banned', `${bannedInnocent.length} innocent addresses were banned: ${sample(bannedInnocent)}`);
  if (bannedUnknown.length > 0) add('innocent never banned', `${bannedUnknown.length} addresses no scenario line attributes to an attacker were banned: ${sample(bannedUnknown)}`);

  // ── one incident per attack ──
  const ours = seen.incidents.filter((i) => i.name === truth.monitor && i.status === 'firing');
  const perRunAndIp = new Map<string, number>();
  for (const i of ours) for (const ip of i.ips) {
    const k = `${runIndexAt(seen.runs, i.ts)}|${ip}`;
    perRunAndIp.set(k, (perRunAndIp.get(k) ?? 0) + 1);
  }
  const repeated = [...perRunAndIp].filter(([, n]) => n > 1).map(([k, n]) => `${k.split('|')[1]} (${n} incidents in run ${Number(k.split('|')[0]) + 1})`);
  if (repeated.length > 0) add('one incident per attack', `${repeated.length} addresses raised more than one incident in the same run: ${sample(repeated)}`);

  // ── every incident alerted (or counted in a summary) ──
  const incidentIps = new Set(ours.flatMap((i) => i.ips));
  const bannedAttackers = truth.attackers.filter((a) => episodes.has(a.target)).length;
  const owed = Math.max(incidentIps.size, bannedAttackers);
  const alerts = seen.alerts.filter((a) => a.name === truth.monitor && a.status === 'firing');
  const delivered = alerts.reduce((n, a) => n + a.count, 0);
  if (delivered < owed)
    add(
      'every incident alerted',
      `${owed} attacks owed an alert (${incidentIps.size} addresses with a recorded incident, ${bannedAttackers} attackers banned), ` +
        `but the ${alerts.length} alerts delivered account for ${delivered} (counts: ${alerts.map((a) => a.count).join(', ') || 'none'}): ` +
        `${owed - delivered} incidents were never alerted nor summarised`,
    );

  // ── the agent stays up, answers ctl list, stops on SIGTERM ──
  seen.runs.forEach((r, i) => {
    if (typeof r.end === 'object')
      add(
        'agent stays up',
        `run ${i + 1} ended on its own ${secs(r.endedAt - r.startedAt)} after start (exit code ${r.end.code}, signal ${r.end.signal})`,
      );
  });
  if ('error' in seen.ctlList) add('ctl list', `ctl list got no answer: ${seen.ctlList.error}`);
  else {
    // ctl list, exactly. The agent takes its list at one instant L between the request
    // (`at`) and the answer (`answeredAt`); it lists a ban from when its block call returns
    // until its unblock call returns OK, as `lifting` once its end has passed or its unblock
    // was called. The script logs a call when it runs, so a call logged at c was made before
    // c and returns after c; a block logged before `at` has returned by then (the finish
    // asks once the firewall has been quiet for a second). Hence, for a ban blocked before `at`:
    // - no unblock logged before `answeredAt`: held at L, so listed;
    // - unblock logged before `at`: called before L, so absent (it returned) or listed
    //   `lifting` (it had not, or it failed and waits for its retry), never `in force`;
    // - unblock logged between `at` and `answeredAt`: L may fall either side of its return.
    // And a listed ban was blocked (logged) before `answeredAt`.
    const { at, answeredAt } = seen.ctlList;
    const bans = [...episodes.values()].flat().filter((e) => e.blocks[0]!.at < answeredAt);
    const listed = new Map(seen.ctlList.bans.map((b) => [b.ip, b.state]));
    const held = bans.filter((e) => e.blocks[0]!.at < at && (e.liftedAt === null || e.liftedAt >= answeredAt)).map((e) => e.target);
    const missing = held.filter((t) => !listed.has(t));
    // A listed ban is accounted for by a ban of its address that may be held at L in that state.
    const accounted = (ip: string, state: BanState) =>
      bans.some((e) => e.target === ip && (e.liftedAt === null || e.liftedAt >= at || state === 'lifting'));
    const unblocked = [...listed].filter(([ip, state]) => !accounted(ip, state) && bans.some((e) => e.target === ip)).map(([ip]) => ip);
    const extra = [...listed.keys()].filter((ip) => !bans.some((e) => e.target === ip));
    if (missing.length > 0) add('ctl list', `ctl list omits ${missing.length} of the ${held.length} bans the firewall holds (blocked, not unblocked by the answer): ${sample(missing)}`);
    if (unblocked.length > 0) add('ctl list', `ctl list shows ${unblocked.length} bans as in force after their unblock was called (they must be lifting): ${sample(unblocked)}`);
    if (extra.length > 0) add('ctl list', `ctl list shows ${extra.length} bans the firewall does not hold: ${sample(extra)}`);
  }
  const { budgetMs, exitedAfterMs } = seen.shutdown;
  if (exitedAfterMs === null) add('SIGTERM within budget', `the agent did not exit after SIGTERM (waited ${secs(budgetMs)}; killed with SIGKILL)`);
  else if (exitedAfterMs > budgetMs) add('SIGTERM within budget', `the agent took ${secs(exitedAfterMs)} to exit after SIGTERM (budget ${secs(budgetMs)})`);

  return out;
};

/** The violations as one message for an assertion: one line each, grouped by invariant. */
export const formatViolations = (scenario: string, violations: readonly Violation[]): string =>
  `${scenario}: ${violations.length} invariant violation(s)\n` + violations.map((v) => `  [${v.invariant}] ${v.message}`).join('\n');
