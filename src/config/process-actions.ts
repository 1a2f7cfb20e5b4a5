/**
 * What an `actions:` definition of `type: process` does, and which of its keys act:
 * named after a built-in process action (`freeze_top_process`, `kill_process`,
 * `mass_freeze`, `mass_freeze_top`, `mass_freeze_cluster:<name>`, `restart_process`)
 * it gives that action its parameters; under any other name, `action:` (freeze, kill,
 * restart) says which one it is a variant of.
 */
import { massFreezeClusterAction } from './schema.js';

export type ProcessBehaviour = 'freeze' | 'kill' | 'restart' | 'mass_freeze' | 'mass_freeze_top' | 'mass_freeze_cluster';

const byName: Record<string, ProcessBehaviour> = {
  freeze_top_process: 'freeze',
  kill_process: 'kill',
  restart_process: 'restart',
  mass_freeze: 'mass_freeze',
  mass_freeze_top: 'mass_freeze_top',
};
const verbs: Record<string, ProcessBehaviour> = { freeze: 'freeze', kill: 'kill', restart: 'restart' };

/** The behaviour of a process definition, or a problem (without its place). */
export const processBehaviour = (name: string, action: string | undefined): ProcessBehaviour | { problem: string } => {
  const builtin = byName[name] ?? (massFreezeClusterAction.test(name) ? 'mass_freeze_cluster' : undefined);
  if (action !== undefined && !Object.hasOwn(verbs, action)) return { problem: `action: expected one of freeze, kill, restart, got "${action}"` };
  if (builtin !== undefined) {
    const mass = builtin.startsWith('mass_freeze');
    if (action !== undefined && (mass ? action !== 'freeze' : verbs[action] !== builtin))
      return { problem: `action: ${name} is a ${mass ? 'freeze' : builtin} action (action: ${action} contradicts its name; give the variant another name)` };
    return builtin;
  }
  if (action === undefined) return { problem: 'action: a process action needs action: freeze, kill or restart' };
  return verbs[action]!;
};

/** The keys each behaviour acts on (`type`, `action` aside). */
export const processKeys: Record<ProcessBehaviour, readonly string[]> = {
  freeze: ['count', 'min_cpu', 'prefer', 'avoid', 'thaw_after'],
  kill: ['count', 'min_cpu', 'prefer', 'avoid', 'grace', 'scope', 'on_kill', 'timeout'],
  restart: [],
  mass_freeze: ['thaw_after'],
  mass_freeze_top: ['thaw_after'],
  mass_freeze_cluster: ['thaw_after'],
};
