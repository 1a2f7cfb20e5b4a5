/**
 * The `file_monitor` rule as an RxJS operator: FileChanges in, an Incident out when the
 * changes of one aggregation window reach the monitor's threshold.
 *
 * ```
 * changes:   a b 57s c 1s d e|        threshold 2, window 1m (tumbling, from subscription)
 * incidents: - I 57s - 1s - I|        (I: the window's 2nd change; c alone stays below)
 * ```
 *
 * Windows are fixed and tumbling (`windowTime` on the scheduler). The incident fires the
 * moment a window's count reaches the threshold — a change to /etc/shadow is reported
 * at once, not when its window closes — and at most once per window; its details name
 * what changed in that window so far (added / modified / removed, per path). A path
 * counts at most `maxEventsPerPath` events per window (`file_monitor.max_events_per_path`):
 * a log file rewritten in a loop cannot stand in for many files changing, and one
 * window's tally stays bounded per path.
 */
import { asyncScheduler, filter, map, mergeMap, take, windowTime, type OperatorFunction, type SchedulerLike } from 'rxjs';
import type { Incident, Severity } from '../model/incident.js';
import type { FileChange, FileChangeKind } from './file-change.js';
import { monitorSeverity } from '../rules/monitor-severity.js';
import { formatDuration } from '../config/duration.js';

export interface FileChangeRule {
  name: string;
  /** fires when a window holds at least this many (capped) changes */
  threshold: number;
  actions: string[];
  severity?: Severity;
  /** ms */
  windowMs: number;
  maxEventsPerPath: number;
}

interface PathTally {
  /** the kinds of change seen, first-seen order */
  kinds: FileChangeKind[];
  events: number;
}

/** What one window has seen so far. */
interface WindowTally {
  paths: Map<string, PathTally>;
  /** events counted towards the threshold (each path's capped) */
  counted: number;
}

const count = (tally: WindowTally, change: FileChange, cap: number): WindowTally => {
  let p = tally.paths.get(change.path);
  if (!p) tally.paths.set(change.path, (p = { kinds: [], events: 0 }));
  if (p.events >= cap) return tally;
  p.events++;
  tally.counted++;
  if (!p.kinds.includes(change.kind)) p.kinds.push(change.kind);
  return tally;
};

const describePath = (path: string, p: PathTally): string => `${p.kinds.join(', ')} ${path}${p.events > 1 ? ` (${p.events} events)` : ''}`;

/** The first `n` paths' changes, and how many more there were. */
const listChanges = (tally: WindowTally, n: number): string => {
  const all = [...tally.paths].map(([path, p]) => describePath(path, p));
  return all.slice(0, n).join('; ') + (all.length > n ? `; and ${all.length - n} more paths` : '');
};

export const fileChangeIncident = (rule: FileChangeRule, tally: WindowTally, now: number): Incident => {
  const changes = `${tally.counted} file change${tally.counted === 1 ? '' : 's'} within ${formatDuration(rule.windowMs)}`;
  return {
    key: `file_monitor|${rule.name}`,
    name: rule.name,
    severity: monitorSeverity(rule),
    description: `${changes}: ${listChanges(tally, 3)}`,
    actions: rule.actions,
    metadata: { monitorType: 'file_monitor', threshold: rule.threshold, currentValue: tally.counted, details: `${changes}: ${listChanges(tally, 50)}` },
    ts: now,
    status: 'firing',
    count: tally.counted,
  };
};

export function fileChangeIncidents(rule: FileChangeRule, scheduler: SchedulerLike = asyncScheduler): OperatorFunction<FileChange, Incident> {
  return (source) =>
    source.pipe(
      windowTime(rule.windowMs, scheduler),
      mergeMap((window$) => {
        const tally: WindowTally = { paths: new Map(), counted: 0 };
        return window$.pipe(
          map((change) => count(tally, change, rule.maxEventsPerPath)),
          filter((t) => t.counted >= rule.threshold),
          take(1),
          map((t) => fileChangeIncident(rule, t, scheduler.now())),
        );
      }),
    );
}
