/**
 * Chaos: log rotation in the middle of an attack burst. Copytruncate (logrotate's
 * `copytruncate`: copy, then truncate in place) and rename (`mv auth.log auth.log.1`, a
 * new auth.log) must lose no attacker whose failures straddle the rotation and must count
 * nothing twice: an innocent with a failure or two after the rotation is never banned
 * (issue 7, defect 1).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, renameSync, truncateSync, writeFileSync } from 'node:fs';
import { ChaosAgent } from './chaos-agent.js';
import { assertClean, finishScenario, groundTruth } from './finish-scenario.js';
import { attackBurst, failedPassword, innocentAddress, WHITELIST, writeInChunks, type LogPlan } from './log-lines.js';
import { scenarioRandom, type SeededRandom } from './seeded-random.js';

/**
 * Attackers whose failures straddle the rotation (half before, half after), attackers
 * wholly before and wholly after, innocents with 1-2 failures after it.
 */
const straddlingPlan = (rnd: SeededRandom, threshold: number) => {
  const straddlers = attackBurst(rnd, { attackers: 30, each: threshold + 1, innocents: 0, threshold });
  const before = attackBurst(rnd, { attackers: 20, each: threshold + 1, innocents: 0, threshold, firstAttacker: 30 });
  const after = attackBurst(rnd, { attackers: 20, each: threshold + 1, innocents: 0, threshold, firstAttacker: 50 });
  const innocents = Array.from({ length: 20 }, (_, i) => ({ address: innocentAddress(i), failures: rnd.int(1, 2) }));
  const halves = new Map<string, string[]>();
  for (const l of straddlers.lines as string[]) {
    const ip = / from (\S+) port /.exec(l)![1]!;
    halves.set(ip, [...(halves.get(ip) ?? []), l]);
  }
  const firstHalf: string[] = [];
  const secondHalf: string[] = [];
  for (const ls of halves.values()) {
    const cut = rnd.int(1, ls.length - 1);
    firstHalf.push(...ls.slice(0, cut));
    secondHalf.push(...ls.slice(cut));
  }
  const innocentLines = innocents.flatMap((i) => Array.from({ length: i.failures }, () => failedPassword(i.address)));
  const truth: LogPlan['truth'] = {
    attackers: [...straddlers.truth.attackers, ...before.truth.attackers, ...after.truth.attackers],
    innocents,
    protectedAddresses: [],
  };
  return {
    beforeLines: rnd.shuffle([...firstHalf, ...(before.lines as string[])]),
    beforeAttackers: before.truth.attackers.map((a) => a.target),
    afterLines: rnd.shuffle([...secondHalf, ...(after.lines as string[]), ...innocentLines]),
    truth,
  };
};

test('copytruncate in the middle of a burst: straddling attackers banned, innocents after it never', { timeout: 120_000 }, async (t) => {
  const rnd = scenarioRandom('copytruncate');
  const agent = new ChaosAgent({ name: 'copytruncate', whitelist: WHITELIST });
  t.after(() => agent.cleanup());
  assert.ok(await agent.start(), `the agent did not start:\n${agent.output()}`);
  const plan = straddlingPlan(rnd, agent.threshold);

  await writeInChunks((b) => agent.append(b), plan.beforeLines, 3, 50);
  // Copytruncate loses what the agent had not read yet, by design: rotate once it has read
  // everything (the attackers wholly before the rotation are banned: their lines came last).
  const readAll = await agent.waitUntil(() => plan.beforeAttackers.every((a) => agent.blockedTargets().has(a)), 20_000);
  assert.ok(readAll, `the agent did not ban the attackers written before the rotation:\n${agent.output()}`);
  copyFileSync(agent.authLog, `${agent.authLog}.1`);
  truncateSync(agent.authLog, 0);
  await writeInChunks((b) => agent.append(b), plan.afterLines, 4, 50);

  const figures = await finishScenario('copytruncate', agent, groundTruth(agent, plan.truth));
  assertClean(agent, figures);
});

test('rename rotation at a random moment of a burst: the old file is read to its end, the new from its start', { timeout: 120_000 }, async (t) => {
  const rnd = scenarioRandom('rename-rotation');
  const agent = new ChaosAgent({ name: 'rename', whitelist: WHITELIST });
  t.after(() => agent.cleanup());
  assert.ok(await agent.start(), `the agent did not start:\n${agent.output()}`);
  const plan = straddlingPlan(rnd, agent.threshold);

  const rotateAfter = rnd.int(0, 2);
  await writeInChunks((b) => agent.append(b), plan.beforeLines, 3, 30, (chunk) => {
    if (chunk !== rotateAfter) return;
    renameSync(agent.authLog, `${agent.authLog}.1`);
    writeFileSync(agent.authLog, '');
  });
  await writeInChunks((b) => agent.append(b), plan.afterLines, 4, 50);

  const figures = await finishScenario('rename-rotation', agent, groundTruth(agent, plan.truth));
  assertClean(agent, figures);
});
