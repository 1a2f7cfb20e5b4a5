/**
 * Which cgroup kill_process scope cgroup takes, pure: the v2 group when not the root,
 * else the first non-root v1 group; the root everywhere is never a group to kill.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { victimCgroup } from '../../src/actions/victim-cgroup.js';

const hybrid = [
  '30 23 0:26 / /sys/fs/cgroup/unified rw,nosuid - cgroup2 cgroup2 rw',
  '31 23 0:27 / /sys/fs/cgroup/pids rw,nosuid - cgroup cgroup rw,pids',
  '32 23 0:28 / /sys/fs/cgroup/memory rw,nosuid - cgroup cgroup rw,memory',
].join('\n');
const pureV2 = '30 23 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw';

test('victimCgroup: v2 first, then a non-root v1 group, never the root', () => {
  assert.deepEqual(victimCgroup(pureV2, '0::/system.slice/nginx.service\n'), { version: 2, path: '/system.slice/nginx.service', dir: '/sys/fs/cgroup/system.slice/nginx.service' });
  assert.deepEqual(victimCgroup(hybrid, '8:pids:/jobs/a\n4:memory:/m\n0::/\n'), { version: 1, path: '/jobs/a', dir: '/sys/fs/cgroup/pids/jobs/a' });
  assert.deepEqual(victimCgroup(hybrid, '8:pids:/\n4:memory:/\n0::/\n'), null);
  assert.deepEqual(victimCgroup(pureV2, '0::/\n'), null);
});
