/**
 * What the dispatcher hands a channel. An alert is rendered once (title + text) from
 * an incident; each channel formats it for its medium.
 */
import type { Incident, Severity } from '../model/incident.js';

export interface AlertMessage {
  /** Stable id: the outbox keys delivery per (id, channel), so a retry never duplicates. */
  id: string;
  severity: Severity;
  /** `resolved` for recovery messages. */
  status: 'firing' | 'resolved';
  /** hostname of the machine PanicMode watches */
  host: string;
  /** one short line: "CRITICAL high_cpu on web-1: CPU 97.3% > 80%" */
  title: string;
  /** a few short lines for a phone: what, where, how bad, what was done, what next */
  text: string;
  /** what PanicMode already did ("blocked 3 IPs", "froze pid 4242") */
  actionsTaken: string[];
  incident: Incident;
  /** unix ms when the alert was created */
  ts: number;
}

/** One delivery target. `send` resolves when the peer accepted the alert, rejects otherwise. */
export interface AlertChannel {
  /** The channel name as written in `alerts:` (telegram, email, webhook, ...). */
  readonly name: string;
  send(message: AlertMessage, signal?: AbortSignal): Promise<void>;
  close?(): Promise<void>;
}
