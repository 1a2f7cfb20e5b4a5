/**
 * Issue 7's figure: attackers blocked while the state disk is full (goal: all). The real
 * agent with its state dir on a 2 MB tmpfs this bench mounts, fills and unmounts; a burst
 * of N attackers × 6 failed passwords; counted: attackers whose block script ran, bans
 * `ctl list` shows (recorded, so lifted on time), alerts delivered (a file channel on
 * another disk). Needs root (mount); says so otherwise.
 *
 *   PANICMODE_FROM_SOURCE=1 node --import tsx test/bench/chaos-full-disk.bench.ts [--runs 3] [--attackers 50]
 */
import { parseArgs } from 'node:util';
import { ChaosAgent } from '../chaos/chaos-agent.js';
import { attackBurst, WHITELIST } from '../chaos/log-lines.js';
import { scenarioRandom } from '../chaos/seeded-random.js';
import { fillDisk, mountSmallTmpfs } from '../chaos/small-tmpfs.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' }, attackers: { type: 'string', default: '50' } } });
const runs = Number(values.runs);
const attackers = Number(values.attackers);
const rnd = scenarioRandom('full-disk-bench');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (let run = 1; run <= runs; run++) {
  const disk = mountSmallTmpfs('2m');
  if (typeof disk === 'string') {
    console.log(`skipped: ${disk}`);
    process.exit(0);
  }
  const agent = new ChaosAgent({ name: 'full-disk-bench', whitelist: WHITELIST, stateDir: disk.path, banDurationMs: 3_600_000 });
  try {
    if (!(await agent.start())) throw new Error(`the agent did not start:\n${agent.output()}`);
    fillDisk(disk.path);
    const plan = attackBurst(rnd, { attackers, each: 6, innocents: 0, threshold: agent.threshold });
    agent.append(plan.lines.join(''));
    const expected = plan.truth.attackers.map((a) => a.target);
    await agent.waitUntil(() => expected.every((t) => agent.blockedTargets().has(t)), 15_000);
    await sleep(1000);
    const blocked = expected.filter((t) => agent.blockedTargets().has(t)).length;
    const listed = await agent.ctlList();
    const recorded = 'bans' in listed ? listed.bans.length : 0;
    await agent.sigterm();
    const alerts = agent.alerts().filter((a) => a.name === 'ssh_brute_force').reduce((n, a) => n + a.count, 0);
    const skipped = (agent.output(1_000_000).match(/circuit open/g) ?? []).length;
    console.log(
      `run ${run}: disk full → ${blocked}/${attackers} attackers blocked, ${recorded} bans recorded (ctl list${'bans' in listed ? '' : ` failed: ${listed.error}`}), ` +
        `${alerts} incidents alerted, ${skipped} "circuit open" lines`,
    );
  } finally {
    await agent.kill9();
    disk.unmount();
    await agent.cleanup();
  }
}
