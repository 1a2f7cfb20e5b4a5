/**
 * How every chaos scenario ends, the same way: let the agent catch up, ask `ctl list`,
 * wait until the bans are due to be lifted, SIGTERM it against its budget, collect the
 * record, run the shared checker, print the figures, and fail with every violation and
 * the tail of the agent's output.
 */
import assert from 'node:assert/strict';
import { ChaosAgent, MONITOR, SIGTERM_BUDGET_MS } from './chaos-agent.js';
import { checkInvariants, formatViolations, type GroundTruth, type Violation } from './invariants.js';
import type { LogPlan } from './log-lines.js';

export interface ScenarioFigures {
  scenario: string;
  kills: number;
  attackersBanned: number;
  attackersExpected: number;
  innocentsBanned: number;
  alertsDelivered: number;
  alertsOwed: number;
  violations: Violation[];
}

const LATE_LIFT_MS = 4000;

export const groundTruth = (agent: ChaosAgent, plan: LogPlan['truth']): GroundTruth => ({
  monitor: MONITOR,
  threshold: agent.threshold,
  banDurationMs: agent.banDurationMs,
  ...plan,
});

/**
 * Waits for the agent to have banned every attacker (or to fall quiet for `quietMs`, at
 * most `settleMs`), lists, waits out the bans, stops it and checks. Returns the figures;
 * `assertClean` fails the test on any violation.
 */
export const finishScenario = async (
  scenario: string,
  agent: ChaosAgent,
  truth: GroundTruth,
  o: { kills?: number; settleMs?: number; quietMs?: number } = {},
): Promise<ScenarioFigures> => {
  const expected = new Set(truth.attackers.map((a) => a.target));
  const allBanned = () => [...expected].every((t) => agent.blockedTargets().has(t));
  // Settle: every attacker banned, or no new firewall call for quietMs.
  const settleEnd = Date.now() + (o.settleMs ?? 20_000);
  let lastCount = -1;
  let lastChange = Date.now();
  while (agent.alive && Date.now() < settleEnd && !allBanned()) {
    const n = agent.calls().length;
    if (n !== lastCount) {
      lastCount = n;
      lastChange = Date.now();
    } else if (Date.now() - lastChange > (o.quietMs ?? 5000)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  // A ban is recorded just after its script ran: list once the firewall has been quiet a moment.
  await agent.waitUntil(() => {
    const last = Math.max(0, ...agent.calls().map((c) => c.at));
    return Date.now() - last > 1000;
  }, 5000);
  const ctlList = agent.alive ? await agent.ctlList() : { at: Date.now(), error: 'the agent is not running' };

  // Wait out the bans: every ban lifted, or past the latest one's end plus the late slack.
  const blocks = agent.calls().filter((c) => c.verb === 'block');
  const lastBlock = Math.max(0, ...blocks.map((c) => c.at));
  const allLifted = () => {
    const calls = agent.calls();
    const lastUnblock = new Map<string, number>();
    for (const c of calls) if (c.verb === 'unblock') lastUnblock.set(c.target, c.at);
    return calls.filter((c) => c.verb === 'block').every((c) => (lastUnblock.get(c.target) ?? -1) >= c.at);
  };
  if (agent.alive && blocks.length > 0) await agent.waitUntil(allLifted, Math.max(0, lastBlock + truth.banDurationMs + LATE_LIFT_MS + 500 - Date.now()));

  const exitedAfterMs = await agent.sigterm(SIGTERM_BUDGET_MS);
  const record = {
    runs: agent.runs,
    calls: agent.calls(),
    alerts: agent.alerts(),
    incidents: agent.incidents(),
    ctlList,
    shutdown: { budgetMs: SIGTERM_BUDGET_MS, exitedAfterMs },
  };
  const violations = checkInvariants(truth, record, { lateLiftSlackMs: LATE_LIFT_MS });

  const blocked = new Set(record.calls.filter((c) => c.verb === 'block').map((c) => c.target));
  const innocentSet = new Set([...truth.innocents.map((i) => i.address), ...truth.protectedAddresses]);
  const incidentIps = new Set(record.incidents.filter((i) => i.name === truth.monitor && i.status === 'firing').flatMap((i) => i.ips));
  const attackersBanned = truth.attackers.filter((a) => blocked.has(a.target)).length;
  const figures: ScenarioFigures = {
    scenario,
    kills: o.kills ?? 0,
    attackersBanned,
    attackersExpected: truth.attackers.length,
    innocentsBanned: [...blocked].filter((t) => innocentSet.has(t) || !expected.has(t)).length,
    alertsDelivered: record.alerts.filter((a) => a.name === truth.monitor && a.status === 'firing').reduce((n, a) => n + a.count, 0),
    alertsOwed: Math.max(incidentIps.size, attackersBanned),
    violations,
  };
  console.log(
    `# chaos figures ${scenario}: kills ${figures.kills}, attackers banned ${figures.attackersBanned}/${figures.attackersExpected}, ` +
      `innocent or protected banned ${figures.innocentsBanned}, alerts delivered ${figures.alertsDelivered}/${figures.alertsOwed} owed, ` +
      `SIGTERM exit ${exitedAfterMs === null ? 'never' : `${exitedAfterMs} ms`}, violations ${violations.length}`,
  );
  return figures;
};

export const assertClean = (agent: ChaosAgent, f: ScenarioFigures): void => {
  if (f.violations.length === 0) return;
  assert.fail(`${formatViolations(f.scenario, f.violations)}\n--- agent output (tail) ---\n${agent.output(4000)}`);
};
