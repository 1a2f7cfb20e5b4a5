/**
 * Chaos: a random mix of valid and hostile auth log lines written in random chunks —
 * `\r` and U+2028 inside a line, user names framing another address, forged program
 * names, a 512 KB line, binary junk, IPv4-mapped IPv6, whitelisted and private addresses
 * far over the threshold. Attackers are banned, nothing else is (issue 7, defects 7, 12).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChaosAgent } from './chaos-agent.js';
import { assertClean, finishScenario, groundTruth } from './finish-scenario.js';
import { hostileMix, WHITELIST, writeInChunks } from './log-lines.js';
import { scenarioRandom } from './seeded-random.js';

test('a random mix of valid and hostile lines: attackers banned, injected, forged, protected and innocent addresses never', { timeout: 120_000 }, async (t) => {
  const rnd = scenarioRandom('hostile-mix');
  const agent = new ChaosAgent({ name: 'hostile', whitelist: WHITELIST });
  t.after(() => agent.cleanup());
  assert.ok(await agent.start(), `the agent did not start:\n${agent.output()}`);

  const plan = hostileMix(rnd, agent.threshold);
  await writeInChunks((b) => agent.append(b), plan.lines, rnd.int(3, 12), rnd.int(0, 80));

  const figures = await finishScenario('hostile-mix', agent, groundTruth(agent, plan.truth));
  assertClean(agent, figures);
});
