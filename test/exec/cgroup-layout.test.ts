/** Where a process's cgroups are, for the three host shapes and a container's bind mount. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseCgroupLayout } from '../../src/exec/cgroup-layout.js';

// This project's test host (2026-12-01): v1 controllers plus a v2 tree without controllers.
const hybridMountinfo = `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`;
const hybridCgroup = `9:name=systemd:/
8:pids:/
6:freezer:/
4:memory:/process_api/d2a391f7
2:cpuacct:/
1:cpu:/
0::/
`;

describe('parseCgroupLayout', () => {
  it('hybrid: every v1 controller at its own path, the v2 tree beside them', () => {
    assert.deepEqual(parseCgroupLayout(hybridMountinfo, hybridCgroup), {
      v2: '/sys/fs/cgroup/unified',
      v1: {
        memory: '/sys/fs/cgroup/memory/process_api/d2a391f7',
        pids: '/sys/fs/cgroup/pids',
        cpu: '/sys/fs/cgroup/cpu',
        freezer: '/sys/fs/cgroup/freezer',
      },
    });
  });

  it('pure v2 (systemd): the service cgroup, no v1', () => {
    const mi = '29 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n';
    assert.deepEqual(parseCgroupLayout(mi, '0::/system.slice/panicmode.service\n'), { v2: '/sys/fs/cgroup/system.slice/panicmode.service', v1: {} });
  });

  it('v1 with co-mounted cpu,cpuacct and no v2', () => {
    const mi = '30 25 0:27 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:11 - cgroup cgroup rw,cpu,cpuacct\n';
    assert.deepEqual(parseCgroupLayout(mi, '3:cpu,cpuacct:/user.slice\n'), { v2: null, v1: { cpu: '/sys/fs/cgroup/cpu,cpuacct/user.slice' } });
  });

  it('a container without a cgroup namespace: the mount root is stripped from the path', () => {
    const mi = '700 690 0:26 /docker/abc /sys/fs/cgroup rw,relatime - cgroup2 cgroup2 rw\n';
    assert.equal(parseCgroupLayout(mi, '0::/docker/abc\n').v2, '/sys/fs/cgroup');
  });

  it('octal escapes in mount points; no cgroup mounted at all', () => {
    const mi = '41 31 0:38 / /mnt/my\\040cgroups rw - cgroup2 cgroup2 rw\n';
    assert.equal(parseCgroupLayout(mi, '0::/a\n').v2, '/mnt/my cgroups/a');
    assert.deepEqual(parseCgroupLayout('22 1 0:21 / /proc rw - proc proc rw\n', '0::/\n'), { v2: null, v1: {} });
  });

  it('a controller mounted but not named in the process\'s cgroup file is not used', () => {
    assert.deepEqual(parseCgroupLayout(hybridMountinfo, '4:memory:/x\n').v1, { memory: '/sys/fs/cgroup/memory/x' });
  });
});
