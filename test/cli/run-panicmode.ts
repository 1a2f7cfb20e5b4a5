/**
 * Runs the `panicmode` command from source as a child (bin/panicmode.js), with its state
 * in `stateDir` and no config from the environment: for tests of what the CLI prints and
 * its exit code. Never rejects: a failed run resolves with its code.
 */
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = join(repoRoot, 'bin', 'panicmode.js');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export const runPanicmode = (args: readonly string[], o: { stateDir: string; timeoutMs?: number }): Promise<CliRun> =>
  new Promise((resolve) => {
    const env: NodeJS.ProcessEnv = { ...process.env, PANICMODE_STATE_DIR: o.stateDir, PANICMODE_FROM_SOURCE: '1' };
    delete env.PANICMODE_CONFIG;
    execFile(process.execPath, [bin, ...args], { cwd: repoRoot, env, timeout: o.timeoutMs ?? 30_000 }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: number }).code ?? 1) : 0;
      resolve({ code: typeof code === 'number' ? code : 1, stdout, stderr });
    });
  });
