/**
 * `run_script` and the `actions:` entries of type script: runs the user's program
 * (never through a shell) with its `args`, and the incident in PANIC_* environment
 * variables, the contract PanicMode's scripts already use. The definition's `env` is
 * added to the agent's environment; the PANIC_* variables win over it, so a script
 * can always trust them.
 */
import type { Action, ActionContext, ActionOutcome } from './action.js';
import type { Host } from '../host/host.js';
import { ActionError } from '../errors.js';
import type { VictimFacts, VictimLedger } from './victim-ledger.js';

/**
 * The PANIC_* environment of a script or hook. With victims (the processes the
 * incident's protective actions froze or killed, or the one an on_kill hook is run
 * for): PANIC_PID, PANIC_PROCESS_NAME, PANIC_CMDLINE, PANIC_USER name the first one,
 * PANIC_PIDS lists them all (else the incident's own pids).
 */
export const incidentEnv = (ctx: ActionContext, extra: Readonly<Record<string, string>> = {}, victims: readonly VictimFacts[] = []): NodeJS.ProcessEnv => {
  const i = ctx.incident;
  const v = victims[0];
  const sev = i.severity[0]!.toUpperCase() + i.severity.slice(1);
  return {
    ...process.env,
    ...extra,
    PANIC_INCIDENT_NAME: i.name,
    PANIC_SEVERITY: sev,
    PANIC_DESCRIPTION: i.description,
    PANIC_DETAILS: i.metadata.details,
    PANIC_THRESHOLD: String(i.metadata.threshold),
    PANIC_CURRENT_VALUE: String(i.metadata.currentValue),
    PANIC_MONITOR_TYPE: i.metadata.monitorType,
    PANIC_IPS: (i.metadata.ips ?? []).join(' '),
    PANIC_PIDS: (victims.length > 0 ? victims.map((x) => x.pid) : (i.metadata.pids ?? [])).join(' '),
    PANIC_PID: v ? String(v.pid) : '',
    PANIC_PROCESS_NAME: v?.name ?? '',
    PANIC_CMDLINE: v?.cmdline ?? '',
    PANIC_USER: v?.user ?? '',
  };
};

export interface ScriptOptions {
  /** arguments after the path */
  args?: readonly string[];
  /** environment added to the agent's */
  env?: Readonly<Record<string, string>>;
  /** the processes the incident's protective actions froze or killed (PANIC_PID, ...) */
  victims?: VictimLedger;
}

export const scriptAction = (name: string, path: string, host: Host, timeoutMs: number, options: ScriptOptions = {}): Action => ({
  name,
  kind: 'background',
  run: async (ctx): Promise<ActionOutcome> => {
    if (ctx.dryRun) return { outcome: 'dry_run', summary: `would run ${path}`, target: path };
    const r = await host.exec(path, [...(options.args ?? [])], { timeoutMs, env: incidentEnv(ctx, options.env, options.victims?.of(ctx.incident)) });
    if (r.timedOut) throw new ActionError(name, `${path} was killed at its timeout (${timeoutMs} ms), with its process group`);
    if (r.code !== 0) {
      throw new ActionError(name, `${path} exited ${r.code ?? r.signal}: ${r.stderr.trim().slice(0, 200)}`);
    }
    return { outcome: 'ok', summary: `ran ${path}`, target: path };
  },
});
