/**
 * Chaos: SIGHUP storms. 20 SIGHUPs 5 ms apart while an attack burst is being read must
 * leave one pipeline (one block, one incident, one alert per attacker) and an agent that
 * stops on SIGTERM within its budget; a SIGHUP during start-up must not kill the agent
 * (issue 7, defect 2).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChaosAgent } from './chaos-agent.js';
import { assertClean, finishScenario, groundTruth } from './finish-scenario.js';
import { attackBurst, WHITELIST, writeInChunks } from './log-lines.js';
import { scenarioRandom } from './seeded-random.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('20 SIGHUPs 5 ms apart during a burst: one ban, one incident, one alert per attacker; SIGTERM still stops the agent', { timeout: 120_000 }, async (t) => {
  const rnd = scenarioRandom('sighup-storm');
  const agent = new ChaosAgent({ name: 'sighup', whitelist: WHITELIST });
  t.after(() => agent.cleanup());
  assert.ok(await agent.start(), `the agent did not start:\n${agent.output()}`);

  // A first wave, the storm in the middle of the second, a third after it.
  const first = attackBurst(rnd, { attackers: 20, each: 6, innocents: 10, threshold: agent.threshold });
  const second = attackBurst(rnd, { attackers: 30, each: 6, innocents: 0, threshold: agent.threshold, firstAttacker: 20 });
  const third = attackBurst(rnd, { attackers: 20, each: 6, innocents: 0, threshold: agent.threshold, firstAttacker: 50 });
  await writeInChunks((b) => agent.append(b), first.lines, 4, 50);
  const stormAt = rnd.int(0, 3);
  await writeInChunks((b) => agent.append(b), second.lines, 4, 50, async (chunk) => {
    if (chunk !== stormAt) return;
    for (let i = 0; i < 20; i++) {
      agent.signal('SIGHUP');
      await sleep(5);
    }
  });
  // Let the reloads finish (or pile up), then attack again: the pipelines now running all see it.
  await sleep(3000);
  await writeInChunks((b) => agent.append(b), third.lines, 2, 50);

  const truth = groundTruth(agent, {
    attackers: [...first.truth.attackers, ...second.truth.attackers, ...third.truth.attackers],
    innocents: first.truth.innocents,
    protectedAddresses: [],
  });
  const figures = await finishScenario('sighup-storm', agent, truth);
  assertClean(agent, figures);
});

test('a SIGHUP during start-up does not kill the agent', { timeout: 90_000 }, async (t) => {
  const rnd = scenarioRandom('sighup-startup');
  const agent = new ChaosAgent({ name: 'sighup-start', whitelist: WHITELIST });
  t.after(() => agent.cleanup());
  agent.startOnly();
  // The CLI has loaded its config and is starting the agent: signal handlers are due from the first instant.
  await agent.waitUntil(() => /starting with/.test(agent.output()), 20_000);
  agent.signal('SIGHUP');
  await agent.waitReady(20_000);

  const plan = attackBurst(rnd, { attackers: 10, each: 6, innocents: 5, threshold: agent.threshold });
  await writeInChunks((b) => agent.append(b), plan.lines, 1, 0);
  const figures = await finishScenario('sighup-startup', agent, groundTruth(agent, plan.truth), { quietMs: 3000 });
  assertClean(agent, figures);
});
