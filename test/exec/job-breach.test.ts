/** The breach decisions apart from any process: kernel events and /proc samples. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { initialJudgeState, judgeCgroupEvents, judgeSample, type JobSample } from '../../src/exec/job-breach.js';
import { keyedValue } from '../../src/exec/job-cgroup.js';

const limits = { timeoutMs: null, cpuPercent: null, memoryBytes: 64 << 20, maxProcs: 5 };
const quiet = { oomKills: 0, memoryFailures: 0, forksRefused: 0 };

describe('judgeCgroupEvents', () => {
  it('an OOM kill is the memory limit; a refused fork the process limit; memory first', () => {
    assert.equal(judgeCgroupEvents(limits, quiet, false), null);
    assert.equal(judgeCgroupEvents(limits, { ...quiet, oomKills: 1 }, false)?.limit, 'memory');
    assert.equal(judgeCgroupEvents(limits, { ...quiet, forksRefused: 3 }, false)?.limit, 'procs');
    assert.equal(judgeCgroupEvents(limits, { ...quiet, oomKills: 1, forksRefused: 3 }, false)?.limit, 'memory');
  });

  it('v1 without an oom_kill counter: failcnt counts only with the job killed by SIGKILL (page cache at the limit is not a breach)', () => {
    assert.equal(judgeCgroupEvents(limits, { ...quiet, memoryFailures: 40 }, false), null);
    assert.match(judgeCgroupEvents(limits, { ...quiet, memoryFailures: 40 }, true)!.detail, /killed by the kernel at the limit/);
  });

  it('events of a limit the cgroup does not enforce are ignored', () => {
    assert.equal(judgeCgroupEvents({ ...limits, memoryBytes: null, maxProcs: null }, { oomKills: 1, memoryFailures: 1, forksRefused: 1 }, true), null);
  });

  it('keyedValue reads memory.events / oom_control / pids.events lines', () => {
    assert.equal(keyedValue('low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\noom_group_kill 0\n', 'oom_kill'), 1);
    assert.equal(keyedValue('max 7\n', 'max'), 7);
    assert.equal(keyedValue('oom_kill_disable 0\nunder_oom 0\n', 'oom_kill'), null);
    assert.equal(keyedValue(null, 'max'), null);
  });
});

describe('judgeSample', () => {
  const s = (atMs: number, over: Partial<JobSample> = {}): JobSample => ({ atMs, procs: 1, rssBytes: 0, cpuTicksDelta: 0, ...over });
  const polled = { memoryBytes: 100, maxProcs: 5, cpuPercent: 50 };

  it('exactly at a limit is not over it', () => {
    assert.equal(judgeSample(polled, 1000, initialJudgeState, s(0, { rssBytes: 100, procs: 5 })).breach, null);
    assert.equal(judgeSample(polled, 1000, initialJudgeState, s(0, { rssBytes: 101 })).breach?.limit, 'memory');
    assert.equal(judgeSample(polled, 1000, initialJudgeState, s(0, { procs: 6 })).breach?.limit, 'procs');
  });

  it('CPU needs the whole window; the kept history stays bounded', () => {
    let state = initialJudgeState;
    for (let t = 0; t <= 10_000; t += 100) {
      const r = judgeSample({ ...polled, cpuPercent: 150 }, 1000, state, s(t, { cpuTicksDelta: t === 0 ? 0 : 10 }));
      assert.equal(r.breach, null, `one core is under 150% at ${t}`);
      state = r.state;
    }
    assert.ok(state.cpu.length <= 12, `${state.cpu.length} points kept`);
  });
});
