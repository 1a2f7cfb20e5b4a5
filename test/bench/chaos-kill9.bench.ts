/**
 * Issue 7's figure: kill -9 at a random moment of a 500-attacker burst (× 6 failed
 * passwords each, all appended at once), restart at once, and count the attackers banned
 * after the restart (goal 500/500 every run). Also counted: bans the firewall holds
 * (block script ran) that the agent's database lost (`ctl list` omits them: they are
 * never lifted), and attackers blocked twice.
 *
 * The real agent (test/chaos/chaos-agent.ts): script backend recording every call, a
 * temp state dir, a 1 h ban so nothing is lifted while counting. Seeded: CHAOS_SEED=<n>.
 *
 *   PANICMODE_FROM_SOURCE=1 node --import tsx test/bench/chaos-kill9.bench.ts [--runs 20] [--attackers 500]
 */
import { parseArgs } from 'node:util';
import { ChaosAgent } from '../chaos/chaos-agent.js';
import { attackBurst, WHITELIST } from '../chaos/log-lines.js';
import { scenarioRandom } from '../chaos/seeded-random.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '20' }, attackers: { type: 'string', default: '500' } } });
const runs = Number(values.runs);
const attackers = Number(values.attackers);
const rnd = scenarioRandom('kill9-bench');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const results: { killAtMs: number; bannedBeforeKill: number; banned: number; lost: number; twice: number }[] = [];
for (let run = 1; run <= runs; run++) {
  const agent = new ChaosAgent({ name: 'kill9-bench', whitelist: WHITELIST, banDurationMs: 3_600_000 });
  try {
    if (!(await agent.start())) throw new Error(`the agent did not start:\n${agent.output()}`);
    const plan = attackBurst(rnd, { attackers, each: 6, innocents: 0, threshold: agent.threshold });
    const killAtMs = rnd.int(100, 2500);
    agent.append(plan.lines.join(''));
    await sleep(killAtMs);
    await agent.kill9();
    const bannedBeforeKill = agent.blockedTargets().size;
    if (!(await agent.start())) throw new Error(`the agent did not restart:\n${agent.output()}`);
    // Settle: every attacker banned, or no firewall call for 5 s (at most 60 s).
    const expected = plan.truth.attackers.map((a) => a.target);
    let last = agent.calls().length;
    let lastChange = Date.now();
    const end = Date.now() + 60_000;
    while (Date.now() < end && !expected.every((t) => agent.blockedTargets().has(t))) {
      await sleep(200);
      const n = agent.calls().length;
      if (n !== last) [last, lastChange] = [n, Date.now()];
      else if (Date.now() - lastChange > 5000) break;
    }
    await sleep(1000);
    const blocked = agent.blockedTargets();
    const listed = await agent.ctlList();
    const inDb = new Set('bans' in listed ? listed.bans.map((b) => b.ip) : []);
    const perTarget = new Map<string, number>();
    for (const c of agent.calls()) if (c.verb === 'block') perTarget.set(c.target, (perTarget.get(c.target) ?? 0) + 1);
    const r = {
      killAtMs,
      bannedBeforeKill,
      banned: expected.filter((t) => blocked.has(t)).length,
      lost: [...blocked].filter((t) => !inDb.has(t)).length,
      // restoration after a restart re-runs the script once per live ban: more than 2 is a second ban
      twice: [...perTarget.values()].filter((n) => n > 2).length,
    };
    results.push(r);
    console.log(
      `run ${String(run).padStart(2)}: kill -9 at ${String(killAtMs).padStart(4)} ms (${String(bannedBeforeKill).padStart(3)} banned before) → ` +
        `${r.banned}/${attackers} attackers banned after restart; ${r.lost} bans held by the firewall but lost from the database${'bans' in listed ? '' : ` (ctl list failed: ${listed.error})`}`,
    );
  } finally {
    await agent.cleanup();
  }
}
const full = results.filter((r) => r.banned === attackers).length;
const min = Math.min(...results.map((r) => r.banned));
const mean = results.reduce((n, r) => n + r.banned, 0) / results.length;
console.log(
  `\nkill -9 during a ${attackers}-attacker burst, ${results.length} runs: ${full}/${results.length} runs banned all ${attackers}; ` +
    `banned after restart min ${min}, mean ${mean.toFixed(1)}; bans lost from the database: ${results.reduce((n, r) => n + r.lost, 0)} in total`,
);
