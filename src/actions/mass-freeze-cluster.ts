/**
 * `mass_freeze_cluster:<name>`: SIGSTOP every process of a named cluster of the policy
 * file (a compat list of names, a selector, or a service alias's cgroup; see
 * mass-freeze.ts clusterSelector), protected and whitelisted ones spared. The name is
 * checked against the policy when `run` loads it (exit 2 on an unknown one).
 */
import type { Action, ActionOutcome } from './action.js';
import type { MassFreezePolicy } from '../config/mass-freeze.js';
import { clusterSelector } from '../config/mass-freeze.js';
import { ActionError } from '../errors.js';
import { readProcessView } from './process-view.js';
import { spareFrom } from './spare.js';
import type { ProcessActionDeps } from './freeze-processes.js';
import { selectCluster } from './mass-freeze-selection.js';
import { freezeMassSelection } from './mass-freeze.js';

export interface MassFreezeClusterOptions {
  cluster: string;
  policy: MassFreezePolicy;
  whitelist?: readonly string[];
  thawAfterMs?: number;
}

export const massFreezeClusterAction = (deps: ProcessActionDeps, o: MassFreezeClusterOptions): Action => {
  const name = `mass_freeze_cluster:${o.cluster}`;
  const whitelist = [...(o.whitelist ?? []), ...o.policy.whitelist_processes];
  return {
    name,
    kind: 'protective',
    run: async (ctx): Promise<ActionOutcome> => {
      const selector = clusterSelector(o.policy, o.cluster);
      if (!selector) throw new ActionError(name, `cluster "${o.cluster}" is not defined in mass_freeze.yaml`);
      const view = await readProcessView(deps.host, 0, deps.wait);
      const sel = selectCluster(view, spareFrom(view, { whitelist }), selector, deps.userName);
      return freezeMassSelection(deps, name, o.policy, o.thawAfterMs, view, ctx, sel);
    },
  };
};
