/**
 * A detector whose source completes has stopped watching, however quietly: the SSH
 * follower's stream is never meant to end, nor are the rules over the metrics stream.
 * This appends a critical self-incident to a detector's incidents when its source
 * completes, so the operator hears that a rule went blind. (A source that errors is
 * supervise's business: retried, reported, and given up alone.) Unsubscribing, as a
 * stop or a reload does, is not completion and raises nothing.
 *
 *   detector:  ──a──b──|
 *   result:    ──a──b──(S|)      S: "PanicMode detector stopped: <name>"
 */
import { concat, defer, of, type MonoTypeOperatorFunction } from 'rxjs';
import type { Incident } from '../model/incident.js';
import { selfIncident } from '../model/self-incident.js';

export const detectorStoppedIncident = (name: string, ts: number): Incident =>
  selfIncident(
    `PanicMode detector stopped: ${name}`,
    `"${name}" stopped: its source ended, so it no longer detects anything until PanicMode restarts ` +
      '(restart it, and look in its log for why the source ended)',
    `self_check:stopped:${name}`,
    ts,
  );

/** Passes a detector's incidents through; raises the "stopped" incident when it completes. */
export const reportDetectorStop =
  (name: string, now: () => number): MonoTypeOperatorFunction<Incident> =>
  (source) =>
    concat(source, defer(() => of(detectorStoppedIncident(name, now()))));
