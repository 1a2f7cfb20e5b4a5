/**
 * The real agent as a child process in its own process group, for tests that signal it
 * (SIGHUP storms, SIGTERM budgets, kill -9): `bin` runs the agent in-process, so the
 * child's pid is the agent's. Whatever happens, the group is killed when the test ends.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { TestContext } from 'node:test';
import { bin } from './agent-process.js';

export interface GroupAgent {
  child: ChildProcess;
  pid: number;
  /** stdout and stderr so far */
  output(): string;
  /** the exit code (null after a signal) and when it came */
  exited: Promise<{ code: number | null; at: number }>;
  alive(): boolean;
}

export const spawnAgentGroup = (t: TestContext, config: string, env: NodeJS.ProcessEnv): GroupAgent => {
  const child = spawn(process.execPath, [bin, 'run', '--config', config], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  let done = false;
  const exited = new Promise<{ code: number | null; at: number }>((resolve) =>
    child.once('exit', (code) => {
      done = true;
      resolve({ code, at: Date.now() });
    }),
  );
  t.after(() => {
    if (!done) process.kill(-child.pid!, 'SIGKILL');
  });
  return { child, pid: child.pid!, output: () => out, exited, alive: () => !done };
};
