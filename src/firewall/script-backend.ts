/**
 * The PanicMode script contract: `block_script <IP>` and `unblock_script <IP>`, one
 * run per address (or CIDR prefix), through execFile with the validated canonical text
 * as the only argument: never a shell string, never an argument starting with `-`.
 * `PANICMODE_BLOCK_IP_SCRIPT` / `PANICMODE_UNBLOCK_IP_SCRIPT` override the paths.
 *
 * A script cannot say what it holds, so `list()` is null and reconciling re-runs the
 * block script for every live ban: the shipped example scripts check before they
 * insert, so running them twice leaves one rule.
 */
import { execFile } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import type { BanEntry, FirewallBackend, TargetFailure } from './backend.js';
import { parseTarget } from './address.js';
import { boundedAll } from './bounded-all.js';
import { ActionError } from '../errors.js';
import type { Logger } from '../log/logger.js';

export interface ScriptBackendOptions {
  block_script: string;
  unblock_script: string;
  /** per script run, ms */
  timeoutMs: number;
  /** scripts running at once */
  maxConcurrency: number;
  logger: Logger;
  env?: NodeJS.ProcessEnv;
}

/** The argument a script receives, or an error: only a canonical address or prefix passes. */
export const scriptArgument = (target: string): string => {
  const t = parseTarget(target);
  if (!t || t.text !== target) throw new ActionError('block_ip', `refusing to pass ${JSON.stringify(target)} to a script: not a canonical IP address or CIDR block`);
  return t.text;
};

interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** execFile killed it: its `timeout` ran out (no clock of ours needed to tell) */
  timedOut: boolean;
  stderr: string;
}

const runScript = (file: string, arg: string, timeoutMs: number, env: NodeJS.ProcessEnv): Promise<RunResult> =>
  new Promise((resolve, reject) => {
    execFile(file, [arg], { timeout: timeoutMs, killSignal: 'SIGKILL', env, maxBuffer: 1024 * 1024 }, (error, _stdout, stderr) => {
      const e = error as (NodeJS.ErrnoException & { code?: number | string; signal?: NodeJS.Signals; killed?: boolean }) | null;
      if (e && typeof e.code === 'string') return reject(new Error(`cannot run ${file}: ${e.code}`));
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : null) : 0, signal: e?.signal ?? null, timedOut: e?.killed === true, stderr: String(stderr) });
    });
  });

export const createScriptBackend = (o: ScriptBackendOptions): FirewallBackend => {
  const env = o.env ?? process.env;
  const blockScript = env.PANICMODE_BLOCK_IP_SCRIPT || o.block_script;
  const unblockScript = env.PANICMODE_UNBLOCK_IP_SCRIPT || o.unblock_script;

  const run = async (what: 'block' | 'unblock', file: string, target: string) => {
    const arg = scriptArgument(target);
    const r = await runScript(file, arg, o.timeoutMs, env);
    if (r.code === 0) return;
    const why = r.timedOut
      ? `timed out after ${o.timeoutMs} ms`
      : `exited ${r.code ?? r.signal}${r.stderr.trim() ? ': ' + r.stderr.trim().slice(0, 200) : ''}`;
    throw new ActionError('block_ip', `${what} script ${file} ${arg} ${why}`);
  };

  const runAll = async (what: 'block' | 'unblock', file: string, targets: readonly string[]): Promise<TargetFailure[]> => {
    const failures = await boundedAll(targets, o.maxConcurrency, (t) => run(what, file, t));
    for (const f of failures) o.logger.error(f.error.message);
    return failures.map((f) => ({ target: f.item, error: f.error }));
  };

  return {
    name: 'script',
    start: async () => {},
    check: async () => {
      // Only existence and the execute bit: running the script to check it would ban something.
      for (const f of [blockScript, unblockScript]) {
        try {
          await access(f, constants.X_OK);
        } catch {
          throw new ActionError('block_ip', `${f} is missing or not executable (firewall.block_script / unblock_script)`);
        }
      }
    },
    ban: (entries: readonly BanEntry[]) => runAll('block', blockScript, entries.map((e) => e.target)),
    unban: (targets) => runAll('unblock', unblockScript, targets),
    list: async () => null,
    // Without a list there is nothing to flush from here: the ban manager unbans what it recorded.
    flush: async () => {},
    stop: async () => {},
  };
};
