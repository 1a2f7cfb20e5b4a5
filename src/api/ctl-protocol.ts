/**
 * The control socket's protocol: newline-delimited JSON, one request per line, one
 * response line per request.
 *
 * ```
 * → {"cmd":"list"}                              ← {"ok":true,"bans":[ListedBan...]}
 *                                                 (each with "state": "in force" | "lifting"
 *                                                 and "lift_error": string | null)
 * → {"cmd":"unblock","ip":"203.0.113.7"}        ← {"ok":true,"lifted":["203.0.113.7"]}
 * → {"cmd":"ban","ip":"203.0.113.7","for_ms":3600000}
 *                                               ← {"ok":true,"result":BlockResult}
 * → {"cmd":"frozen"}                            ← {"ok":true,"frozen":[FrozenProcess...]}
 * → {"cmd":"thaw","pid":4242}  (or "pid":"all") ← {"ok":true,"thawed":[...],"gone":[...]}
 * any failure                                   ← {"ok":false,"error":"..."}
 * ```
 */
import type { BlockResult, ListedBan } from '../firewall/ban-manager.js';
import type { FrozenProcess } from '../actions/frozen-registry.js';
import { MAX_BAN_MS } from '../firewall/firewall-options.js';
import { formatDuration } from '../config/duration.js';

export type CtlRequest =
  | { cmd: 'list' }
  | { cmd: 'unblock'; ip: string }
  /** for_ms absent: the configured ban duration; null: until lifted */
  | { cmd: 'ban'; ip: string; for_ms?: number | null }
  | { cmd: 'frozen' }
  | { cmd: 'thaw'; pid: number | 'all' };

export type CtlResponse =
  | { ok: true; bans: ListedBan[] }
  | { ok: true; lifted: string[] }
  | { ok: true; result: BlockResult }
  | { ok: true; frozen: FrozenProcess[] }
  | { ok: true; thawed: FrozenProcess[]; gone: FrozenProcess[] }
  | { ok: false; error: string };

/** Checks a decoded line is a request; the reason otherwise. */
export const parseCtlRequest = (line: string): CtlRequest | string => {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return 'not JSON';
  }
  if (!v || typeof v !== 'object') return 'expected an object';
  const r = v as Record<string, unknown>;
  if (r.cmd === 'list') return { cmd: 'list' };
  if (r.cmd === 'frozen') return { cmd: 'frozen' };
  if (r.cmd === 'thaw') {
    if (r.pid === 'all' || (typeof r.pid === 'number' && Number.isInteger(r.pid) && r.pid > 0)) return { cmd: 'thaw', pid: r.pid };
    return 'thaw: "pid" must be a process id (a whole number above 0) or "all"';
  }
  if (r.cmd === 'unblock' || r.cmd === 'ban') {
    if (typeof r.ip !== 'string' || r.ip === '') return `${r.cmd}: "ip" must be a string`;
    if (r.cmd === 'unblock') return { cmd: 'unblock', ip: r.ip };
    if (r.for_ms !== undefined && r.for_ms !== null && !(typeof r.for_ms === 'number' && Number.isFinite(r.for_ms) && r.for_ms > 0 && r.for_ms <= MAX_BAN_MS))
      return `ban: "for_ms" must be a number of milliseconds above 0 and at most ${MAX_BAN_MS} (${formatDuration(MAX_BAN_MS)})`;
    return { cmd: 'ban', ip: r.ip, for_ms: r.for_ms as number | null | undefined };
  }
  return `unknown cmd ${JSON.stringify(r.cmd)} (list, unblock, ban, frozen, thaw)`;
};
