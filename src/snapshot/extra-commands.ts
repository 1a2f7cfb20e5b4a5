/**
 * The extra commands of a snapshot (`commands:` of a `type: system` action): each run by
 * /bin/sh -c at the same time, each killed with its process group at the timeout
 * (Host.exec), so one hanging command costs the snapshot its timeout, not the rest.
 */
import type { Host } from '../host/host.js';

export interface CommandCapture {
  name: string;
  command: string;
  /** null when killed by a signal or when it could not start */
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  durationMs: number;
  stdout: string;
  stderr: string;
}

/** Runs every command; never rejects (a command that cannot start is a capture with its error in stderr). */
export const runExtraCommands = (host: Host, commands: Readonly<Record<string, string>>, timeoutMs: number): Promise<CommandCapture[]> =>
  Promise.all(
    Object.entries(commands).map(async ([name, command]): Promise<CommandCapture> => {
      const t0 = host.monotonicMs();
      try {
        const r = await host.exec('/bin/sh', ['-c', command], { timeoutMs });
        const durationMs = Math.round(host.monotonicMs() - t0);
        return { name, command, exitCode: r.code, signal: r.signal, timedOut: r.timedOut, durationMs, stdout: r.stdout, stderr: r.stderr };
      } catch (err) {
        const durationMs = Math.round(host.monotonicMs() - t0);
        return { name, command, exitCode: null, signal: null, timedOut: false, durationMs, stdout: '', stderr: `could not run /bin/sh: ${(err as Error).message}` };
      }
    }),
  );
