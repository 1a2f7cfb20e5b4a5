/**
 * The `block_ip` action: bans the incident's offending addresses through the ban
 * manager and says what it did in one phrase for the alert
 * ("blocked 2 IPs: 203.0.113.7, 2001:db8:1::/64; skipped 10.0.0.5 (RFC 1918 private address)").
 */
import type { Action, ActionOutcome } from './action.js';
import type { Incident } from '../model/incident.js';
import type { AddressRefusals, BanManager, BlockResult } from '../firewall/ban-manager.js';
import { ActionError } from '../errors.js';
import { parseAddress } from '../firewall/address.js';
import { formatDuration } from '../config/duration.js';

export interface BlockIpActionOptions {
  /** the action's name in the config (default `block_ip`) */
  name?: string;
  /** the action's `duration` (ms); absent = firewall.ban_duration */
  durationMs?: number;
}

const V4 = /(?<![\w.:])(?:\d{1,3}\.){3}\d{1,3}(?![\w.])/g;
// Candidates only: anything with two colons and hex digits; parseAddress decides.
const V6 = /(?<![\w:.])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?::(?:\d{1,3}\.){3}\d{1,3})?(?![\w:.])/g;

/** Addresses written anywhere in a text (incident details), valid ones only, in order, once each. */
export const extractIps = (text: string): string[] => {
  const out: string[] = [];
  for (const m of [...text.matchAll(V4), ...text.matchAll(V6)].sort((a, b) => a.index! - b.index!)) {
    const a = parseAddress(m[0]);
    if (a && !out.includes(a.text)) out.push(a.text);
  }
  return out;
};

/** The addresses an incident names: `metadata.ips`, else those in `metadata.details`. */
export const incidentIps = (incident: Incident): string[] =>
  incident.metadata.ips && incident.metadata.ips.length > 0 ? [...incident.metadata.ips] : extractIps(incident.metadata.details ?? '');

/** A list for one phrase: the first `max`, then how many more. */
export const listSome = (xs: string[], max = 5) => (xs.length <= max ? xs.join(', ') : `${xs.slice(0, max).join(', ')} and ${xs.length - max} more`);

/** The phrases for what a ban or limit did not do ("2 already blocked", "skipped …"). */
export const refusalPhrases = (r: AddressRefusals, already: string): string[] => {
  const parts: string[] = [];
  if (r.already.length > 0) parts.push(`${r.already.length} ${already}`);
  if (r.skipped.length > 0) parts.push(`skipped ${listSome(r.skipped.map((s) => `${s.ip} (${s.reason})`))}`);
  if (r.invalid.length > 0) parts.push(`ignored ${r.invalid.length} invalid address${r.invalid.length === 1 ? '' : 'es'}`);
  if (r.failed.length > 0) parts.push(`failed ${listSome(r.failed.map((f) => `${f.ip} (${f.error})`), 3)}`);
  return parts;
};

/** One phrase describing a block result. */
export const summarise = (r: BlockResult, dryRun = false): string => {
  const parts: string[] = [];
  if (r.banned.length > 0) {
    const items = r.banned.map((b) => (b.expires_at === null ? b.ip : `${b.ip} for ${formatDuration(b.expires_at - b.blocked_at)}`));
    parts.push(`${dryRun ? 'would block' : 'blocked'} ${r.banned.length} IP${r.banned.length === 1 ? '' : 's'}: ${listSome(items)}`);
  }
  parts.push(...refusalPhrases(r, 'already blocked'));
  return parts.join('; ') || 'no IPs to block';
};

export const blockIpAction = (manager: BanManager, options: BlockIpActionOptions = {}): Action => {
  const name = options.name ?? 'block_ip';
  return {
    name,
    kind: 'protective',
    run: async (ctx): Promise<ActionOutcome> => {
      const ips = incidentIps(ctx.incident);
      if (ips.length === 0) return { outcome: 'skipped', summary: 'no IPs to block' };
      const blockOptions = { reason: ctx.incident.name, durationMs: options.durationMs };
      if (ctx.dryRun) {
        const r = await manager.plan(ips, blockOptions);
        return { outcome: 'dry_run', summary: summarise(r, true), target: r.banned.map((b) => b.ip).join(' ') || undefined };
      }
      const r = await manager.block(ips, blockOptions);
      if (r.failed.length > 0 && r.banned.length === 0) throw new ActionError(name, summarise(r));
      return {
        outcome: r.banned.length > 0 ? 'ok' : 'skipped',
        summary: summarise(r),
        target: r.banned.map((b) => b.ip).join(' ') || undefined,
      };
    },
  };
};
