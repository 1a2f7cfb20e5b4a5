/**
 * `mass_freeze`: the emergency stop, as the policy file's `mode` says — `all` (the
 * default): every process that is not protected, not whitelisted and not root's
 * (mass-freeze-selection.ts says why); `top_cpu`: what mass_freeze_top does; `cluster`:
 * every cluster the policy defines. Bounded by max_processes_to_freeze and
 * freeze_timeout; the policy's dry_run only logs.
 */
import type { Action, ActionContext, ActionOutcome } from './action.js';
import type { ProcessView } from './process-view.js';
import type { MassFreezePolicy } from '../config/mass-freeze.js';
import { clusterSelector } from '../config/mass-freeze.js';
import { readProcessView } from './process-view.js';
import { spareFrom } from './spare.js';
import { freezeVictims, type ProcessActionDeps } from './freeze-processes.js';
import { selectCluster, selectEveryone, type MassSelection } from './mass-freeze-selection.js';
import { massFreezeTopAction } from './mass-freeze-top.js';

export interface MassFreezeOptions {
  policy: MassFreezePolicy;
  whitelist?: readonly string[];
  thawAfterMs?: number;
}

/** Freezes a mass selection within the policy's bounds (max_processes_to_freeze, freeze_timeout, dry_run). */
export const freezeMassSelection = (deps: ProcessActionDeps, name: string, policy: MassFreezePolicy, thawAfterMs: number | undefined, view: ProcessView, ctx: ActionContext, sel: MassSelection): ActionOutcome => {
  if (sel.kernelThreads > 0) deps.logger.debug(`${name}: passed over ${sel.kernelThreads} kernel threads`);
  return freezeVictims(deps, view, ctx, sel, { action: name, thawAfterMs, dryRun: policy.dry_run, max: policy.max_processes_to_freeze, timeoutMs: policy.freeze_timeout });
};

export const massFreezeAction = (deps: ProcessActionDeps, o: MassFreezeOptions): Action => {
  const name = 'mass_freeze';
  const { policy } = o;
  if (policy.mode === 'top_cpu') return { ...massFreezeTopAction(deps, { policy, thawAfterMs: o.thawAfterMs }), name };
  const whitelist = [...(o.whitelist ?? []), ...policy.whitelist_processes];
  return {
    name,
    kind: 'protective',
    run: async (ctx): Promise<ActionOutcome> => {
      const view = await readProcessView(deps.host, 0, deps.wait);
      const spare = spareFrom(view, { whitelist });
      let sel: MassSelection;
      if (policy.mode === 'all') sel = selectEveryone(view, spare);
      else {
        const seen = new Set<number>();
        sel = { victims: [], skipped: [], kernelThreads: 0 };
        for (const cluster of Object.keys(policy.cluster.definitions)) {
          const one = selectCluster(view, spare, clusterSelector(policy, cluster)!, deps.userName);
          for (const x of [...one.victims, ...one.skipped]) {
            if (seen.has(x.pid)) continue;
            seen.add(x.pid);
            if ('reason' in x) sel.skipped.push(x);
            else sel.victims.push(x);
          }
        }
      }
      return freezeMassSelection(deps, name, policy, o.thawAfterMs, view, ctx, sel);
    },
  };
};
