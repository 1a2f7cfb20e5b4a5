/**
 * The action contract. An action gets the incident and says in one short phrase what
 * it did ("blocked 3 IPs", "froze pid 4242"): that phrase goes into the alert.
 */
import type { ObservableInput } from 'rxjs';
import type { Incident } from '../model/incident.js';

export interface ActionContext {
  incident: Incident;
  /** when true, describe what would happen and change nothing */
  dryRun: boolean;
  signal: AbortSignal;
}

export interface ActionOutcome {
  /** ok: did something; skipped: nothing to do; dry_run: logged only */
  outcome: 'ok' | 'skipped' | 'dry_run';
  /** phrase for the alert, e.g. "blocked 203.0.113.7" or "would block 203.0.113.7" */
  summary: string;
  target?: string;
}

/**
 * Real actions return a Promise (the default); the executor takes any ObservableInput,
 * so a recorder (tests, `panicmode test`) can answer synchronously, in virtual time.
 */
export interface Action<R extends ObservableInput<ActionOutcome> = Promise<ActionOutcome>> {
  readonly name: string;
  /** protective actions run before alerts (bounded, awaited); background ones after */
  readonly kind: 'protective' | 'background';
  run(ctx: ActionContext): R;
}
