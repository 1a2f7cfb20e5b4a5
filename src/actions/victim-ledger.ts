/**
 * Which processes an incident's protective actions froze or killed, for the hooks that
 * run after them (`run_script` is a background action, run once the protective ones
 * are done): they get the victim in PANIC_PID, PANIC_PROCESS_NAME, PANIC_CMDLINE,
 * PANIC_USER. Held per incident object, forgotten with it.
 */
import type { Incident } from '../model/incident.js';

export interface VictimFacts {
  pid: number;
  name: string;
  cmdline: string;
  /** user name, or the uid as text when it has no name */
  user: string;
}

export interface VictimLedger {
  note(incident: Incident, victims: readonly VictimFacts[]): void;
  of(incident: Incident): readonly VictimFacts[];
}

export const createVictimLedger = (): VictimLedger => {
  const byIncident = new WeakMap<Incident, VictimFacts[]>();
  return {
    note: (incident, victims) => byIncident.set(incident, [...(byIncident.get(incident) ?? []), ...victims]),
    of: (incident) => byIncident.get(incident) ?? [],
  };
};
