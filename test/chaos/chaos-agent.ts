/**
 * The chaos suite's harness: the real `panicmode run` as a child process in its own
 * process group, following a temp auth log, banning through recording scripts (each
 * call stamped with the time the script ran), alerting to a JSON-lines file, its state
 * in a directory the scenario chooses (a small tmpfs for the full-disk case). It records
 * what the invariants checker needs: agent runs and how each ended, firewall calls,
 * delivered alerts, recorded incidents, a `ctl list` answer, the time SIGTERM took.
 *
 * Nothing here throws because the agent misbehaved: an agent that died, never got ready
 * or ignores SIGTERM is recorded, and the checker says so. Every process group started
 * is killed on cleanup (and at exit, should a test be torn down abruptly).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ctlRequest } from '../../src/api/ctl-client.js';
import { bin } from '../e2e/agent-process.js';
import type { AgentRun, CtlListAnswer, DeliveredAlert, FirewallCall, RecordedIncident } from './invariants.js';

/** The shutdown budget of `panicmode run` (10 s, src/cli/run.ts) plus process exit. */
export const SIGTERM_BUDGET_MS = 12_000;
export const MONITOR = 'ssh_brute_force';

export interface ChaosAgentOptions {
  /** a short scenario name, for temp dir names and messages */
  name: string;
  threshold?: number;
  banDurationMs?: number;
  whitelist?: readonly string[];
  /** the state directory (database); default a fresh temp dir */
  stateDir?: string;
}

const liveGroups = new Set<number>();
process.on('exit', () => {
  for (const pid of liveGroups) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A recording script: appends `<verb> <unix ms> <arg>` to `log` (date runs per call: the time the firewall changed). */
const recordingScript = (path: string, verb: string, log: string) =>
  writeFileSync(path, `#!/bin/sh\nprintf '%s %s %s\\n' "${verb}" "$(date +%s%3N)" "$1" >> "${log}"\n`, { mode: 0o755 });

export class ChaosAgent {
  readonly dir: string;
  readonly stateDir: string;
  readonly authLog: string;
  readonly socket: string;
  readonly alertsFile: string;
  readonly threshold: number;
  readonly banDurationMs: number;
  readonly runs: AgentRun[] = [];
  private readonly callsLog: string;
  private readonly config: string;
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private out = '';
  private runOut = '';
  /** set while the harness itself stops the agent, so the exit is not "on its own" */
  private ending: 'kill9' | 'sigterm' | null = null;

  constructor(o: ChaosAgentOptions) {
    this.dir = mkdtempSync(join(tmpdir(), `pm-chaos-${o.name}-`));
    this.stateDir = o.stateDir ?? join(this.dir, 'state');
    mkdirSync(this.stateDir, { recursive: true });
    this.authLog = join(this.dir, 'auth.log');
    this.socket = join(this.dir, 'ctl.sock');
    this.alertsFile = join(this.dir, 'alerts.jsonl');
    this.callsLog = join(this.dir, 'calls.log');
    this.config = join(this.dir, 'config.yaml');
    this.threshold = o.threshold ?? 5;
    this.banDurationMs = o.banDurationMs ?? 8000;
    const block = join(this.dir, 'block.sh');
    const unblock = join(this.dir, 'unblock.sh');
    recordingScript(block, 'block', this.callsLog);
    recordingScript(unblock, 'unblock', this.callsLog);
    writeFileSync(this.authLog, 'Nov 22 00:00:00 web-1 sshd[1]: Server listening on 0.0.0.0 port 22.\n');
    writeFileSync(
      this.config,
      `performance:
  check_interval: 1s
  cpu_limit: 100
  memory_limit_mb: 4000
monitors:
  - name: ${MONITOR}
    type: auth_failures
    threshold: ${this.threshold}
    window: 60s
    paths: [${this.authLog}]
    actions: [block_ip, alert_critical]
anomaly:
  enabled: false
alerts:
  critical:
    - channel: file
      path: ${this.alertsFile}
storage:
  incident_db: ${join(this.stateDir, 'incidents.db')}
  state_file: ${join(this.stateDir, 'state.json')}
  snapshot_dir: ${join(this.stateDir, 'snapshots')}
  log_dir: ${join(this.stateDir, 'logs')}
firewall:
  backend: script
  block_script: ${block}
  unblock_script: ${unblock}
  ctl_socket: ${this.socket}
  whitelist: ${JSON.stringify(o.whitelist ?? [])}
  ban_duration: ${this.banDurationMs}ms
  ban_increment:
    enabled: false
dry_run: false
`,
    );
  }

  get alive(): boolean {
    return this.child !== null;
  }

  /** What every run printed, the last `chars` of it, one line per ban lifted left out (they drown the rest). */
  output(chars = 6000): string {
    let lifted = 0;
    const kept = this.out.split('\n').filter((l) => !(/ ban lifted: /.test(l) && ++lifted));
    return (lifted > 0 ? `(${lifted} "ban lifted" lines left out)\n` : '') + kept.join('\n').slice(-chars);
  }

  /** Starts a run; resolves once the agent follows the log and answers ctl (false: it died or never got there). */
  async start(readyWithinMs = 30_000): Promise<boolean> {
    this.startOnly();
    return this.waitReady(readyWithinMs);
  }

  /** Spawns the agent without waiting (for signals sent during start-up). */
  startOnly(): void {
    if (this.child) throw new Error('the agent is already running');
    const child = spawn(process.execPath, [bin, 'run', '--config', this.config], {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PANICMODE_STATE_DIR: this.stateDir, PANICMODE_BLOCK_IP_SCRIPT: '', PANICMODE_UNBLOCK_IP_SCRIPT: '', PANICMODE_LOG_LEVEL: 'info' },
    });
    const run: AgentRun = { startedAt: Date.now(), endedAt: 0, end: 'sigterm' };
    this.runs.push(run);
    this.child = child;
    this.runOut = '';
    liveGroups.add(child.pid!);
    const reloads: number[] = [];
    run.reloads = reloads;
    const keep = (d: Buffer) => {
      const text = d.toString();
      for (const _ of text.matchAll(/config reloaded/g)) reloads.push(Date.now());
      this.out = (this.out + text).slice(-200_000);
      this.runOut = (this.runOut + text).slice(-200_000);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    this.exited = new Promise<void>((resolve) =>
      child.once('exit', (code, signal) => {
        liveGroups.delete(child.pid!);
        run.endedAt = Date.now();
        run.end = this.ending ?? { code, signal };
        this.out += `\n--- run ${this.runs.length} ended: ${typeof run.end === 'string' ? run.end : `code ${code} signal ${signal}`} ---\n`;
        this.child = null;
        this.ending = null;
        resolve();
      }),
    );
  }

  /** True once this run logged that it follows the auth log and its socket answers `list`. */
  async waitReady(withinMs = 30_000): Promise<boolean> {
    const end = Date.now() + withinMs;
    while (this.child && Date.now() < end) {
      if (/following \S*auth\.log from/.test(this.runOut)) {
        try {
          const r = await ctlRequest(this.socket, { cmd: 'list' }, 2000);
          if (r.ok) return true;
        } catch {
          // not listening yet
        }
      }
      await sleep(50);
    }
    return false;
  }

  /** Waits until `pred` holds or `ms` passed (or the agent died); whether it held. */
  async waitUntil(pred: () => boolean, ms: number): Promise<boolean> {
    const end = Date.now() + ms;
    while (!pred()) {
      if (Date.now() > end) return false;
      await sleep(50);
    }
    return true;
  }

  /** kill -9 of the agent's whole process group (its scripts too), as a crash would. */
  async kill9(): Promise<void> {
    if (!this.child) return;
    this.ending = 'kill9';
    try {
      process.kill(-this.child.pid!, 'SIGKILL');
    } catch {
      // exited meanwhile
    }
    await this.exited;
  }

  /** A signal to the agent itself (not its group: its scripts must not see it). */
  signal(sig: NodeJS.Signals): void {
    if (this.child) this.child.kill(sig);
  }

  /** SIGTERM; ms until it exited, or null when it outlived the budget (then its group is SIGKILLed). */
  async sigterm(budgetMs = SIGTERM_BUDGET_MS): Promise<number | null> {
    if (!this.child) return 0;
    const t0 = Date.now();
    this.ending = 'sigterm';
    this.child.kill('SIGTERM');
    const inTime = await Promise.race([this.exited.then(() => true), sleep(budgetMs + 3000).then(() => false)]);
    if (inTime) return Date.now() - t0;
    await this.kill9();
    return null;
  }

  async ctlList(): Promise<CtlListAnswer> {
    const at = Date.now();
    try {
      const r = await ctlRequest(this.socket, { cmd: 'list' }, 5000);
      if (!r.ok) return { at, error: 'error' in r ? r.error : 'unexpected answer' };
      if (!('bans' in r)) return { at, error: `unexpected answer ${JSON.stringify(r).slice(0, 200)}` };
      return { at, answeredAt: Date.now(), bans: r.bans.map((b) => ({ ip: b.ip, state: b.state })) };
    } catch (err) {
      return { at, error: (err as Error).message };
    }
  }

  append(text: string | Buffer): void {
    appendFileSync(this.authLog, text);
  }

  calls(): FirewallCall[] {
    if (!existsSync(this.callsLog)) return [];
    return readFileSync(this.callsLog, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const [verb, at, target] = l.split(' ');
        return { verb: verb as 'block' | 'unblock', at: Number(at), target: target ?? '' };
      });
  }

  blockedTargets(): Set<string> {
    return new Set(this.calls().filter((c) => c.verb === 'block').map((c) => c.target));
  }

  alerts(): DeliveredAlert[] {
    if (!existsSync(this.alertsFile)) return [];
    const out: DeliveredAlert[] = [];
    for (const line of readFileSync(this.alertsFile, 'utf8').split('\n')) {
      if (!line) continue;
      try {
        const a = JSON.parse(line) as { status: string; incident: { name: string; count: number; ips: string[] } };
        out.push({ name: a.incident.name, status: a.status, count: a.incident.count, ips: a.incident.ips });
      } catch {
        out.push({ name: '(unparsable alert line)', status: 'firing', count: 0, ips: [] });
      }
    }
    return out;
  }

  /** The incidents table after the agent exited (empty, with a note in the output, when unreadable). */
  incidents(): RecordedIncident[] {
    const path = join(this.stateDir, 'incidents.db');
    if (!existsSync(path)) return [];
    try {
      const db = new Database(path, { readonly: true, fileMustExist: true });
      try {
        const rows = db.prepare('SELECT name, status, ts, ips FROM incidents').all() as { name: string; status: string; ts: number; ips: string | null }[];
        return rows.map((r) => ({ name: r.name, status: r.status, ts: r.ts, ips: r.ips ? (JSON.parse(r.ips) as string[]) : [] }));
      } finally {
        db.close();
      }
    } catch (err) {
      this.out += `\n--- incidents table unreadable: ${(err as Error).message} ---\n`;
      return [];
    }
  }

  /**
   * Kills whatever still runs and removes the temp dir (not a caller-provided state dir's
   * mount); `CHAOS_KEEP=1` keeps it, with the calls log, for diagnosis.
   */
  async cleanup(): Promise<void> {
    await this.kill9();
    if (process.env.CHAOS_KEEP) process.stderr.write(`kept ${this.dir}\n`);
    else rmSync(this.dir, { recursive: true, force: true });
  }
}
