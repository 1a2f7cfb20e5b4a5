/** Job membership without a cgroup: descendants, reparented orphans kept, recycled pids refused. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { trackJobTree } from '../../src/exec/job-tree.js';
import { parseStatPgrp } from '../../src/exec/process-group-members.js';
import type { ProcStat } from '../../src/collectors/processes.js';

const p = (pid: number, ppid: number, startTicks = pid * 10): ProcStat => ({ pid, ppid, pgid: pid, sid: pid, name: 'x', state: 'S', cpuTicks: 0, startTicks, rssBytes: 0 });
const table = (...ps: ProcStat[]) => new Map(ps.map((x) => [x.pid, x]));

describe('trackJobTree', () => {
  it('the root and its descendants, not its siblings or parent', () => {
    const t = table(p(1, 0), p(100, 1), p(200, 100), p(201, 100), p(300, 200), p(400, 1));
    assert.deepEqual([...trackJobTree(100, t, new Map()).keys()].sort(), [100, 200, 201, 300]);
  });

  it('keeps a member reparented to init, and its children', () => {
    const first = trackJobTree(100, table(p(1, 0), p(100, 1), p(200, 100), p(300, 200)), new Map());
    // 100 exited, 200 was reparented to 1.
    const later = trackJobTree(100, table(p(1, 0), p(200, 1), p(300, 200), p(301, 200)), first);
    assert.deepEqual([...later.keys()].sort(), [200, 300, 301]);
  });

  it('drops a known pid recycled by another process (start time differs)', () => {
    const first = trackJobTree(100, table(p(100, 1), p(200, 100)), new Map());
    const later = trackJobTree(100, table(p(100, 1), p(200, 1, 99_999)), first);
    assert.deepEqual([...later.keys()], [100]);
  });

  it('an empty table: no members', () => {
    assert.equal(trackJobTree(100, new Map(), new Map([[100, 1000]])).size, 0);
  });
});

describe('parseStatPgrp', () => {
  it('reads field 5 after a name holding spaces and parentheses', () => {
    assert.equal(parseStatPgrp('4242 (a) b (c)) S 1 4200 4200 0 -1 4194560 0 0'), 4200);
    assert.equal(parseStatPgrp('garbage'), null);
  });
});
