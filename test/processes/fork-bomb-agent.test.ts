/**
 * The fork-bomb defence inside a running agent (startAgent, in process): its incident
 * goes through the handler like any detector's (recorded in SQLite, alerted), its
 * freeze and kill are recorded in action_runs, and stop ends it.
 *
 * No real process is signalled: the agent reads a proc tree written here (a bomb that
 * adds processes to one group every 20 ms, its task count and last pid in loadavg, a
 * clock in uptime), and its Host's `kill` acts on that tree as the kernel would
 * (SIGSTOP: state T, also for a whole group; SIGKILL: gone). The real-process proof is
 * fork-bomb-defence.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createHost, type Host } from '../../src/host/host.js';
import { parsePidStat } from '../../src/collectors/processes.js';
import { loadConfigText } from '../../src/config/load.js';
import { startAgent } from '../../src/agent.js';
import { createLogger } from '../../src/log/logger.js';

const waitFor = async (ok: () => boolean, ms: number) => {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
};

const statLine = (pid: number, ppid: number, pgid: number, state: string, startTicks: number) =>
  `${pid} (sh) ${state} ${ppid} ${pgid} ${pgid} 0 -1 4194304 0 0 0 0 0 0 0 0 20 0 1 0 ${startTicks} 1000000 100 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n`;

const statusText = (pid: number, ppid: number, pgid: number, state: string) =>
  `Name:\tsh\nUmask:\t0022\nState:\t${state} (${state === 'T' ? 'stopped' : 'sleeping'})\nTgid:\t${pid}\nNgid:\t0\nPid:\t${pid}\nPPid:\t${ppid}\nTracerPid:\t0\nUid:\t0\t0\t0\t0\nNSpid:\t${pid}\nNSpgid:\t${pgid}\nNSsid:\t${pgid}\nVmRSS:\t    1000 kB\nThreads:\t1\n`;

/** A proc tree with a bomb in it, and the kernel's answer to signals. */
const fakeMachine = (root: string) => {
  const bootMs = performance.now() - 1_000_000; // up 1,000 s
  const ticks = () => Math.floor((performance.now() - bootMs) / 10);
  let lastPid = 6999;
  const write = (pid: number, ppid: number, pgid: number, state: string, start: number) => {
    mkdirSync(join(root, String(pid)), { recursive: true });
    writeFileSync(join(root, String(pid), 'stat'), statLine(pid, ppid, pgid, state, start));
    writeFileSync(join(root, String(pid), 'status'), statusText(pid, ppid, pgid, state));
    // a live process has a cmdline (the never-touched rule reads it: none means gone)
    if (pid !== 1) writeFileSync(join(root, String(pid), 'cmdline'), pid === 200 ? 'daemon\0' : 'sh\0-c\0:\0');
  };
  const procs = () =>
    readdirSync(root)
      .filter((e) => /^\d+$/.test(e))
      .map((e) => parsePidStat(readFileSync(join(root, e, 'stat'), 'utf8'))!);
  const refreshCounters = () => {
    writeFileSync(join(root, 'loadavg'), `0.10 0.20 0.30 1/${procs().length + 50} ${lastPid}\n`);
    writeFileSync(join(root, 'uptime'), `${(ticks() / 100).toFixed(2)} 100.00\n`);
  };
  write(1, 0, 1, 'S', 1); // init
  write(100, 1, 100, 'S', 500); // "PanicMode" (the host's pid)
  write(200, 1, 200, 'S', 600); // a daemon, never part of it
  write(6500, 1, 7000, 'S', 700); // a member of the bomb's group started long before it: found by the census, killed
  refreshCounters();
  let bombPids: number[] = [];
  const signals: string[] = [];
  let tickTimer: NodeJS.Timeout | undefined;
  // a stopped process forks no more: the bomb stops growing at its first SIGSTOP
  let frozen = false;
  return {
    /** forks 10 processes into group 7000 every 20 ms, up to `max`, until stopped */
    startBomb(max: number) {
      lastPid = 7000; // the root's pid is the last handed out
      write(7000, 1, 7000, 'S', ticks());
      bombPids = [7000];
      tickTimer = setInterval(() => {
        if (!frozen && bombPids.length < max) {
          for (let i = 0; i < 10; i++) {
            const pid = ++lastPid;
            write(pid, 1, 7000, 'S', ticks()); // reparented to init, as a bomb's children are
            bombPids.push(pid);
          }
        }
        refreshCounters();
      }, 20);
    },
    stop: () => clearInterval(tickTimer),
    signals,
    host(): Host {
      const real = createHost(root);
      const apply = (pid: number, signal: string) => {
        const targets = pid < 0 ? procs().filter((p) => p.pgid === -pid) : procs().filter((p) => p.pid === pid);
        if (targets.length === 0) throw Object.assign(new Error('kill ESRCH'), { code: 'ESRCH' });
        for (const p of targets) {
          if (signal === 'SIGSTOP') write(p.pid, p.ppid, p.pgid, 'T', p.startTicks);
          if (signal === 'SIGSTOP' && p.pgid === 7000) frozen = true;
          if (signal === 'SIGKILL') rmSync(join(root, String(p.pid)), { recursive: true, force: true });
        }
      };
      return {
        ...real,
        pid: 100,
        kill: (pid, signal) => {
          signals.push(`${pid} ${String(signal)}`);
          apply(pid, String(signal));
        },
      };
    },
    procs,
    bombPids: () => bombPids,
  };
};

test('a running agent stops a fork bomb: incident recorded and alerted, freeze and kill in action_runs, nothing else signalled', { timeout: 30_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pm-fork-bomb-agent-'));
  const root = join(dir, 'proc');
  mkdirSync(root);
  const machine = fakeMachine(root);
  const lines: string[] = [];
  try {
    const config = await loadConfigText(
      `storage: {incident_db: ${join(dir, 'incidents.db')}}
performance: {check_interval: 1s}
firewall: {enabled: false, ctl_socket: ${join(dir, 'ctl.sock')}}
alerts: {critical: [{channel: file, path: ${join(dir, 'alerts.jsonl')}}]}
anomaly:
  fork_bomb: {rate: 100, interval: 50ms, min_tree_size: 30}
`,
    );
    const agent = await startAgent(config, { logger: createLogger('agent', { level: 'info', write: (l) => lines.push(l) }), configPath: null, host: machine.host() });
    try {
      await new Promise((r) => setTimeout(r, 300));
      machine.startBomb(400);
      const db = new Database(join(dir, 'incidents.db'), { readonly: true, fileMustExist: true });
      try {
        const deadline = Date.now() + 15_000;
        let runs: { action: string; outcome: string; message: string }[] = [];
        while (Date.now() < deadline) {
          runs = db.prepare("SELECT action, outcome, message FROM action_runs WHERE action IN ('freeze_tree', 'kill_tree') ORDER BY id").all() as typeof runs;
          const incidents = db.prepare("SELECT COUNT(*) AS n FROM incidents WHERE name = 'anomaly: fork bomb'").get() as { n: number };
          if (runs.length === 2 && incidents.n === 1) break;
          await new Promise((r) => setTimeout(r, 50));
        }
        assert.deepEqual(runs.map((r) => [r.action, r.outcome]), [['freeze_tree', 'ok'], ['kill_tree', 'ok']], lines.join('\n'));
        assert.match(runs[1]!.message, /killed in \d+ ms, 0 survive/);
        const incident = db.prepare("SELECT severity, description FROM incidents WHERE name = 'anomaly: fork bomb'").get() as { severity: string; description: string };
        assert.equal(incident.severity, 'critical');
        assert.match(incident.description, /fork bomb: process group 7000 \(root sh pid 7000\)/);
      } finally {
        db.close();
      }
      // the group was stopped in one signal, then killed member by member; init, the agent and the daemon never signalled
      assert.ok(machine.signals.includes('-7000 SIGSTOP'), machine.signals.slice(0, 5).join(', '));
      for (const pid of [1, 100, 200]) assert.ok(!machine.signals.some((s) => s.startsWith(`${pid} `)), `pid ${pid} signalled`);
      assert.deepEqual(machine.procs().map((p) => p.pid).sort((a, b) => a - b), [1, 100, 200], 'the whole bomb is gone, its old member too');
      assert.ok(machine.signals.includes('6500 SIGKILL'), 'the old member killed by pid');
      await waitFor(() => existsSync(join(dir, 'alerts.jsonl')) && /fork bomb: process group 7000/.test(readFileSync(join(dir, 'alerts.jsonl'), 'utf8')), 10_000);
      assert.match(readFileSync(join(dir, 'alerts.jsonl'), 'utf8'), /"severity":"critical"/);
    } finally {
      await agent.stop(5_000);
    }
  } finally {
    machine.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
