/**
 * The process anomaly rules on real processes: the processes collector reading this
 * machine's /proc, through the metrics stream and the rule as the agent compiles it
 * from `monitors:` (compileMonitors → compileRule). The processes are this test's own:
 * each spawned in its own process group, bounded in count, size and time, and the
 * group is killed when the test ends, whatever happened.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { filter, firstValueFrom, share, timeout, type Observable } from 'rxjs';
import { createHost } from '../../src/host/host.js';
import { metricsStream } from '../../src/collectors/metrics-stream.js';
import { createProcessesCollector } from '../../src/collectors/processes.js';
import { memoryLogger } from '../../src/log/logger.js';
import { compileMonitors, type MonitorLike } from '../../src/rules/compile-monitors.js';
import { compileRule } from '../../src/rules/compile-rule.js';
import type { Incident } from '../../src/model/incident.js';

/** A bounded child in its own process group, killed (the whole group) when the test ends. */
const spawnGroup = (t: TestContext, command: string, args: string[]) => {
  const child = spawn(command, args, { detached: true, stdio: 'ignore' });
  let exited = false;
  child.once('exit', () => (exited = true));
  t.after(() => {
    if (!exited) {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // the group is already gone
      }
    }
  });
  return child.pid!;
};

/**
 * The incidents of one monitor over the real process table, read every `readMs`
 * (top lists long enough to hold a test process on a busy machine).
 */
const incidentsOf = (monitor: MonitorLike, readMs: number): Observable<Incident> => {
  const { rules, unavailable } = compileMonitors([monitor]);
  assert.deepEqual(unavailable, []);
  const metrics$ = metricsStream(createHost(), {
    intervalMs: readMs,
    timeoutMs: 4 * readMs,
    collectors: [createProcessesCollector({ top: 100, intervalMs: readMs })],
    logger: memoryLogger(),
  });
  return metrics$.pipe(compileRule(rules[0]!), share());
};

test('zombies: a parent that does not reap six children raises zombie_processes, naming the parent', async (t) => {
  // sh starts six children that exit at once, then becomes `sleep 30`, which never waits for them
  const parent = spawnGroup(t, 'sh', ['-c', 'for i in 1 2 3 4 5 6; do sleep 0 & done; exec sleep 30']);
  const incident = await firstValueFrom(
    incidentsOf({ name: 'Zombies', type: 'zombie_processes', threshold: 5, actions: ['alert_warning'] }, 300).pipe(
      filter((i) => i.status === 'firing' && (i.metadata.pids ?? []).includes(parent)),
      timeout(20_000),
    ),
  );
  assert.ok(incident.metadata.currentValue >= 6, `${incident.metadata.currentValue} zombies`);
  assert.match(incident.metadata.details, new RegExp(`sleep \\(pid ${parent}\\) 6`));
});

test('memory leak: a child whose RSS grows 5 MB every 200 ms is flagged with its pid; a steady one is not', async (t) => {
  // grows to 160 MB in 6.4 s, then holds; exits by itself after 30 s
  const grow =
    "const k=[];const g=setInterval(()=>{if(k.length>=32)return clearInterval(g);k.push(Buffer.alloc(5*1048576,1))},200);setTimeout(()=>process.exit(0),30000)";
  const steady = "const k=Buffer.alloc(64*1048576,1);setTimeout(()=>process.exit(k.length&0),30000)";
  const leaker = spawnGroup(t, process.execPath, ['-e', grow]);
  const calm = spawnGroup(t, process.execPath, ['-e', steady]);
  const seen: Incident[] = [];
  const incident = await firstValueFrom(
    incidentsOf({ name: 'Leak', type: 'memory_leak', threshold: 60, samples: 5, actions: ['alert_warning'] }, 400).pipe(
      filter((i) => {
        seen.push(i);
        return i.status === 'firing' && (i.metadata.pids ?? []).includes(leaker);
      }),
      timeout(25_000),
    ),
  );
  assert.ok(incident.metadata.currentValue > 60, `${incident.metadata.currentValue} MB/min`);
  assert.match(incident.description, new RegExp(`RSS growth of node \\(pid ${leaker}\\)`));
  assert.ok(!seen.some((i) => (i.metadata.pids ?? []).includes(calm)), 'the steady process is no leak');
});

test('process growth: a tree that starts 150 processes in about 1.5 s is a fork bomb at its root', async (t) => {
  // bounded: 15 batches of 10 `sleep 20`, 100 ms apart; the whole group is killed at the end
  const root = spawnGroup(t, 'sh', ['-c', 'i=0; while [ $i -lt 15 ]; do for j in 0 1 2 3 4 5 6 7 8 9; do sleep 20 & done; i=$((i+1)); sleep 0.1; done; wait']);
  const incident = await firstValueFrom(
    incidentsOf({ name: 'Fork bomb', type: 'process_growth', threshold: 20, actions: ['freeze_top_process'] }, 300).pipe(
      filter((i) => i.status === 'firing' && i.key.includes(`(pid ${root})`)),
      timeout(20_000),
    ),
  );
  assert.ok(incident.metadata.currentValue > 20, `${incident.metadata.currentValue} processes/s`);
  assert.deepEqual(incident.metadata.pids, [root]);
  assert.match(incident.metadata.details, new RegExp(`^sh \\(pid ${root}\\) has \\d+ descendants$`));
});

test('CPU spike: a child idle for 3 s, then in a busy loop, is over 3x its own average and the floor; an idle one is not', async (t) => {
  // idles 3 s (a timer, no work), then spins for at most 10 s, then exits
  const spiker = spawnGroup(t, process.execPath, ['-e', 'setTimeout(()=>{const end=Date.now()+10000;while(Date.now()<end);process.exit(0)},3000)']);
  const idle = spawnGroup(t, process.execPath, ['-e', 'setTimeout(()=>process.exit(0),20000)']);
  const seen: Incident[] = [];
  const incident = await firstValueFrom(
    incidentsOf({ name: 'Spike', type: 'process_cpu_spike', threshold: 30, multiplier: 3, samples: 5, actions: ['alert_warning'] }, 400).pipe(
      filter((i) => {
        seen.push(i);
        return i.status === 'firing' && (i.metadata.pids ?? []).includes(spiker);
      }),
      timeout(20_000),
    ),
  );
  assert.ok(incident.metadata.currentValue > 30, `${incident.metadata.currentValue} % of a core`);
  assert.ok(!seen.some((i) => (i.metadata.pids ?? []).includes(idle)), 'the idle process never spikes');
});
