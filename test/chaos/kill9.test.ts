/**
 * Chaos: kill -9 of the agent's process group at random moments of an attack burst, each
 * time restarted at once, while the burst goes on being written. After the restarts every
 * attacker over the threshold must be banned exactly once and lifted on time, no innocent
 * banned, every incident alerted (issue 7, defects 3 and 5).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChaosAgent } from './chaos-agent.js';
import { assertClean, finishScenario, groundTruth } from './finish-scenario.js';
import { attackBurst, WHITELIST, writeInChunks } from './log-lines.js';
import { scenarioRandom } from './seeded-random.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('kill -9 at random moments of a 200-attacker burst, restarted each time: every attacker banned once, nothing else', { timeout: 180_000 }, async (t) => {
  const rnd = scenarioRandom('kill9');
  const agent = new ChaosAgent({ name: 'kill9', whitelist: WHITELIST });
  t.after(() => agent.cleanup());
  assert.ok(await agent.start(), `the agent did not start:\n${agent.output()}`);

  const plan = attackBurst(rnd, { attackers: 200, each: 6, innocents: 40, threshold: agent.threshold });
  const moments = [rnd.int(100, 1500), rnd.int(100, 1500)];
  console.log(`# chaos kill9: kill -9 at ${moments[0]} ms into the burst, then ${moments[1]} ms after the restart is ready`);
  let kills = 0;
  const writing = writeInChunks((b) => agent.append(b), plan.lines, 10, 100);
  for (const at of moments) {
    await sleep(at);
    await agent.kill9();
    kills++;
    assert.ok(await agent.start(), `the agent did not restart after kill -9 #${kills}:\n${agent.output()}`);
  }
  await writing;

  const figures = await finishScenario('kill9', agent, groundTruth(agent, plan.truth), { kills });
  assertClean(agent, figures);
});
