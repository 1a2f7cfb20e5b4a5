/** The `panicmode-exec-<pid>-*` cgroups a panicmode process made, under every cgroup mount exec uses. */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

export const ourCgroupsOf = (pid: number): string[] => {
  const out: string[] = [];
  const walk = (dir: string, depth: number) => {
    let names: string[];
    try {
      names = readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
    } catch {
      return;
    }
    for (const name of names) {
      if (name.startsWith(`panicmode-exec-${pid}-`)) out.push(join(dir, name));
      else if (depth < 3) walk(join(dir, name), depth + 1);
    }
  };
  for (const c of ['unified', 'memory', 'pids', 'cpu', 'freezer']) walk(join('/sys/fs/cgroup', c), 0);
  return out;
};
