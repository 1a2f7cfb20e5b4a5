/**
 * The supervised services' restart state in SQLite (`restart_state`), read once at start
 * and written behind: the supervisor decides from memory and hands each change here, so
 * a slow or failing disk never delays a restart. Writes are serialised and coalesced (the
 * latest state of a service wins); `settled()` lets a stop or reload wait for them.
 */
import type { Db } from './schema.js';

/** A service's persisted state (see RestartStateTable). */
export interface RestartState {
  service: string;
  /** restart times (unix ms) of the current episode, oldest first */
  restarts: number[];
  cooldownUntil: number | null;
  pid: number | null;
  startTicks: number | null;
  startedAt: number | null;
}

const parseTimes = (json: string): number[] => {
  try {
    const v: unknown = JSON.parse(json);
    return Array.isArray(v) ? v.filter((x): x is number => typeof x === 'number' && Number.isFinite(x)) : [];
  } catch {
    return []; // a damaged row costs the episode's count, not the service
  }
};

export const loadRestartStates = async (db: Db): Promise<Map<string, RestartState>> => {
  const rows = await db.selectFrom('restart_state').selectAll().execute();
  return new Map(
    rows.map((r) => [
      r.service,
      { service: r.service, restarts: parseTimes(r.restarts), cooldownUntil: r.cooldown_until, pid: r.pid, startTicks: r.start_ticks, startedAt: r.started_at },
    ]),
  );
};

export const saveRestartState = async (db: Db, s: RestartState, now: number): Promise<void> => {
  const row = { restarts: JSON.stringify(s.restarts), cooldown_until: s.cooldownUntil, pid: s.pid, start_ticks: s.startTicks, started_at: s.startedAt, updated_at: now };
  await db
    .insertInto('restart_state')
    .values({ service: s.service, ...row })
    .onConflict((oc) => oc.column('service').doUpdateSet(row))
    .execute();
};

export interface RestartStateWriter {
  /** queues the service's latest state (a copy is taken) */
  write(state: RestartState): void;
  /** resolves once every state queued so far is written (or failed) */
  settled(): Promise<void>;
}

export const createRestartStateWriter = (db: Db, now: () => number, onError: (err: unknown) => void): RestartStateWriter => {
  const queued = new Map<string, RestartState>();
  let chain: Promise<void> = Promise.resolve();
  let scheduled = false;
  const flush = async (): Promise<void> => {
    scheduled = false;
    const batch = [...queued.values()];
    queued.clear();
    for (const s of batch) {
      try {
        await saveRestartState(db, s, now());
      } catch (err) {
        onError(err);
      }
    }
  };
  return {
    write: (state) => {
      queued.set(state.service, { ...state, restarts: [...state.restarts] });
      if (scheduled) return;
      scheduled = true;
      chain = chain.then(flush);
    },
    settled: () => chain,
  };
};
