/**
 * `freeze_top_process`: SIGSTOP the top `count` processes of the moment — by CPU, or by
 * memory for a memory/swap incident (choose-victims.ts) — never one below `min_cpu`,
 * never a protected one (spare.ts). The process table is read fresh when the action
 * runs (twice, for CPU shares), not taken from the collector's last sample.
 */
import type { Action, ActionOutcome } from './action.js';
import { chooseTopVictims, type TopVictimsOptions } from './top-victims.js';
import { freezeVictims, type ProcessActionDeps } from './freeze-processes.js';

/** Who (count, default 1; minCpu, default 0: any busy process; prefer/avoid; whitelist), and thaw_after. */
export interface FreezeTopOptions extends TopVictimsOptions {
  name?: string;
  /** ms after which the frozen processes are thawed; absent: until `ctl thaw` */
  thawAfterMs?: number;
}

export const freezeTopProcessAction = (deps: ProcessActionDeps, o: FreezeTopOptions = {}): Action => {
  const name = o.name ?? 'freeze_top_process';
  return {
    name,
    kind: 'protective',
    run: async (ctx): Promise<ActionOutcome> => {
      const { view, chosen } = await chooseTopVictims(deps, ctx.incident, o);
      return freezeVictims(deps, view, ctx, chosen, { action: name, thawAfterMs: o.thawAfterMs });
    },
  };
};
