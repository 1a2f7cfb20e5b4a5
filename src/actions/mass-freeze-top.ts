/**
 * `mass_freeze_top`: SIGSTOP the top `top_cpu.count` processes by CPU (policy file),
 * none below `top_cpu.min_cpu_to_freeze`, whatever the whitelists say — but never a
 * protected one (PID 1, kernel threads, PanicMode and its ancestors, sshd and users'
 * sessions: spare.ts without the whitelist).
 */
import type { Action, ActionOutcome } from './action.js';
import type { MassFreezePolicy } from '../config/mass-freeze.js';
import { chooseVictims } from './choose-victims.js';
import { readProcessView, DEFAULT_CPU_SAMPLE_MS } from './process-view.js';
import { spareFrom } from './spare.js';
import { freezeVictims, type ProcessActionDeps } from './freeze-processes.js';

export interface MassFreezeTopOptions {
  policy: MassFreezePolicy;
  thawAfterMs?: number;
  cpuSampleMs?: number;
}

export const massFreezeTopAction = (deps: ProcessActionDeps, o: MassFreezeTopOptions): Action => {
  const name = 'mass_freeze_top';
  const { policy } = o;
  return {
    name,
    kind: 'protective',
    run: async (ctx): Promise<ActionOutcome> => {
      const view = await readProcessView(deps.host, o.cpuSampleMs ?? DEFAULT_CPU_SAMPLE_MS, deps.wait);
      const chosen = chooseVictims(view, { order: 'cpu', count: policy.top_cpu.count, minCpu: policy.top_cpu.min_cpu_to_freeze, spare: spareFrom(view) });
      return freezeVictims(deps, view, ctx, chosen, { action: name, thawAfterMs: o.thawAfterMs, dryRun: policy.dry_run, max: policy.max_processes_to_freeze, timeoutMs: policy.freeze_timeout });
    },
  };
};
