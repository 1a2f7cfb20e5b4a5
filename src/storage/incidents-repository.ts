/**
 * Incidents in SQLite: a batched writer that keeps inserts off the hot path (one
 * transaction per batch), and the queries behind `panicmode incidents`.
 */
import type { Db, IncidentRow, NewIncidentRow } from './schema.js';
import type { Incident } from '../model/incident.js';

export const toIncidentRow = (i: Incident): NewIncidentRow => ({
  ts: i.ts,
  name: i.name,
  severity: i.severity,
  status: i.status,
  description: i.description,
  monitor_type: i.metadata.monitorType,
  threshold: i.metadata.threshold,
  current_value: i.metadata.currentValue,
  details: i.metadata.details,
  actions: JSON.stringify(i.actions),
  ips: i.metadata.ips && i.metadata.ips.length > 0 ? JSON.stringify(i.metadata.ips) : null,
  count: i.count,
  incident_key: i.key,
});

export const insertIncidents = async (db: Db, incidents: Incident[]): Promise<void> => {
  if (incidents.length === 0) return;
  await db.transaction().execute(async (tx) => {
    // SQLite caps bound parameters per statement; 14 columns × 50 rows stays well under it.
    for (let i = 0; i < incidents.length; i += 50) {
      await tx.insertInto('incidents').values(incidents.slice(i, i + 50).map(toIncidentRow)).execute();
    }
  });
};

export interface IncidentQuery {
  /** unix ms; only incidents at or after it */
  since?: number;
  limit?: number;
}

export const listIncidents = async (db: Db, q: IncidentQuery = {}): Promise<IncidentRow[]> => {
  let query = db.selectFrom('incidents').selectAll().orderBy('ts', 'desc').orderBy('id', 'desc');
  if (q.since !== undefined) query = query.where('ts', '>=', q.since);
  return query.limit(q.limit ?? 1000).execute();
};

export interface IncidentWriter {
  write(incident: Incident): void;
  /** Writes what is buffered now; resolves when it is on disk. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Buffers incidents and writes them in one transaction per batch, at most `delayMs`
 * after the first buffered one, so a storm of incidents costs one write, not hundreds.
 */
export const createIncidentWriter = (
  db: Db,
  options: { delayMs?: number; maxBatch?: number; onError?: (err: unknown) => void } = {},
): IncidentWriter => {
  const delayMs = options.delayMs ?? 200;
  const maxBatch = options.maxBatch ?? 500;
  let buffer: Incident[] = [];
  let timer: NodeJS.Timeout | null = null;
  let inFlight: Promise<void> = Promise.resolve();

  const flush = (): Promise<void> => {
    if (timer) {
      clearTimeout(timer);
      timer = null;
    }
    const batch = buffer;
    buffer = [];
    inFlight = inFlight.then(() =>
      insertIncidents(db, batch).catch((err) => {
        options.onError?.(err);
      }),
    );
    return inFlight;
  };

  return {
    write: (incident) => {
      buffer.push(incident);
      if (buffer.length >= maxBatch) void flush();
      else if (!timer) {
        timer = setTimeout(() => void flush(), delayMs);
        timer.unref();
      }
    },
    flush,
    close: async () => {
      await flush();
    },
  };
};
