/**
 * `freeze_top_process`: SIGSTOP the top `count` processes of the moment — by CPU, or by
 * memory for a memory/swap incident (choose-victims.ts) — never one below `min_cpu`,
 * never a protected one (spare.ts). The process table is read fresh when the action
 * runs (twice, for CPU shares), not taken from the collector's last sample.
 */
import type { Action, ActionOutcome } from './action.js';
import { chooseVictims, orderFor } from './choose-victims.js';
import { readProcessView, DEFAULT_CPU_SAMPLE_MS } from './process-view.js';
import { spareFrom } from './spare.js';
import { freezeVictims, type ProcessActionDeps } from './freeze-processes.js';

export interface FreezeTopOptions {
  name?: string;
  /** how many processes (default 1) */
  count?: number;
  /** a process below this CPU % is never frozen (default 0: any busy process) */
  minCpu?: number;
  prefer?: RegExp;
  avoid?: RegExp;
  /** ms after which the frozen processes are thawed; absent: until `ctl thaw` */
  thawAfterMs?: number;
  /** process_whitelist */
  whitelist?: readonly string[];
  /** ms between the two table reads behind CPU % */
  cpuSampleMs?: number;
}

export const freezeTopProcessAction = (deps: ProcessActionDeps, o: FreezeTopOptions = {}): Action => {
  const name = o.name ?? 'freeze_top_process';
  return {
    name,
    kind: 'protective',
    run: async (ctx): Promise<ActionOutcome> => {
      const order = orderFor(ctx.incident.metadata.monitorType);
      const view = await readProcessView(deps.host, order === 'cpu' ? (o.cpuSampleMs ?? DEFAULT_CPU_SAMPLE_MS) : 0, deps.wait);
      const chosen = chooseVictims(view, {
        order, count: o.count ?? 1, minCpu: o.minCpu, prefer: o.prefer, avoid: o.avoid, spare: spareFrom(view, { whitelist: o.whitelist }),
      });
      return freezeVictims(deps, view, ctx, chosen, { action: name, thawAfterMs: o.thawAfterMs });
    },
  };
};
