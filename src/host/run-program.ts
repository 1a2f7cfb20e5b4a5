/**
 * The program runner behind `Host.exec` (custom metrics, run_script, snapshot commands).
 *
 * The program runs in a process group of its own, and at its timeout the whole group is
 * killed (SIGKILL): a command's own children (`sh -c 'a; b'`, a pipeline, a script that
 * starts helpers) would otherwise outlive the timeout. Measured before: execFile's timeout
 * SIGTERMed `sh -c 'sleep 7.5; echo'` and left its `sleep` running under pid 1, once per
 * run — a hanging custom metric every tick is a growing heap of orphans. The group also
 * bounds the wait: the result comes when the program's output closes, which a background
 * child still holding it delays at most until the timeout.
 *
 * A group of its own is no longer in the terminal's foreground group, so Ctrl-C reaches only
 * PanicMode: the groups still running when PanicMode exits are killed on its way out.
 *
 * Its standard input is /dev/null unless `input` is given (a script that reads stdin
 * sees an end of file instead of waiting for its timeout). Output past MAX_OUTPUT_BYTES
 * per stream is dropped (the result says so at its end), never buffered without bound.
 */
import { spawn } from 'node:child_process';

export interface ExecResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** true when the program outlived its timeout and its process group was killed */
  timedOut: boolean;
}

export interface ExecOptions {
  /** default 10 s */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /** written to the program's standard input, which is then closed */
  input?: string;
}

const MAX_OUTPUT_BYTES = 16 * 1024 * 1024;

/** Process groups still running, killed if PanicMode exits first (see the header). */
const running = new Set<number>();
const killGroup = (pgid: number) => {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // the group is gone already
  }
};
let exitHookInstalled = false;
const killOnExit = (pgid: number) => {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => running.forEach(killGroup));
  }
  running.add(pgid);
};

/** Collects one output stream, up to MAX_OUTPUT_BYTES. */
const collector = () => {
  const chunks: Buffer[] = [];
  let bytes = 0;
  let dropped = 0;
  return {
    add: (b: Buffer) => {
      const room = MAX_OUTPUT_BYTES - bytes;
      if (room <= 0) {
        dropped += b.length;
        return;
      }
      const kept = b.length <= room ? b : b.subarray(0, room);
      chunks.push(kept);
      bytes += kept.length;
      dropped += b.length - kept.length;
    },
    text: () => Buffer.concat(chunks).toString('utf8') + (dropped > 0 ? `\n[${dropped} more bytes dropped]` : ''),
  };
};

/**
 * Runs `file` with `args` (never a shell string). Rejects only when the program cannot be
 * found (ENOENT); any other failure to start resolves with code null and the reason in
 * stderr, like a program that failed.
 */
export const runProgram = (file: string, args: readonly string[], options: ExecOptions = {}): Promise<ExecResult> =>
  new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      env: options.env ?? process.env,
      detached: true, // its own process group, killed as one at the timeout
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const stdout = collector();
    const stderr = collector();
    child.stdout!.on('data', stdout.add);
    child.stderr!.on('data', stderr.add);
    let timedOut = false;
    if (child.pid !== undefined) killOnExit(child.pid);
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid!);
    }, options.timeoutMs ?? 10_000);
    const done = () => {
      clearTimeout(timer);
      if (child.pid !== undefined) running.delete(child.pid);
    };
    child.once('error', (err: NodeJS.ErrnoException) => {
      done();
      if (err.code === 'ENOENT') reject(err);
      else resolve({ code: null, signal: null, stdout: '', stderr: err.message, timedOut: false });
    });
    child.once('close', (code, signal) => {
      done();
      resolve({ code, signal, stdout: stdout.text(), stderr: stderr.text(), timedOut });
    });
    if (options.input !== undefined) {
      // A program that exits before reading its input makes the write fail with EPIPE;
      // its exit status (above) is what reports the outcome.
      child.stdin!.on('error', () => undefined);
      child.stdin!.end(options.input);
    }
  });
