/**
 * How the nftables backend reaches `nft`: a function that runs it with arguments and
 * an optional batch on stdin. The agent uses the system's `nft`; tests use one that
 * runs `ip netns exec <ns> nft ...`, so every rule lives in a namespace the test made.
 */
import { execFile } from 'node:child_process';

export interface NftResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `nft <args>` (stdin: a batch for `nft -f -`). Rejects only when nft cannot be started. */
export type NftRunner = (args: readonly string[], stdin?: string) => Promise<NftResult>;

const run = (file: string, args: readonly string[], stdin: string | undefined, timeoutMs: number): Promise<NftResult> =>
  new Promise((resolve, reject) => {
    const child = execFile(file, [...args], { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const e = error as (NodeJS.ErrnoException & { code?: number | string }) | null;
      if (e && typeof e.code === 'string') return reject(new Error(`cannot run ${file}: ${e.code}`));
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : null) : 0, stdout: String(stdout), stderr: String(stderr) || (e && e.code === null ? `killed after ${timeoutMs} ms` : '') });
    });
    // nft may exit before reading its stdin (a quick `list`, a batch refused at once): the
    // write then fails with EPIPE, which must not become an uncaught error; the exit code tells.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(stdin ?? '');
  });

/** The system's nft (`nft` on PATH unless a path is given). */
export const systemNft = (nftPath = 'nft', timeoutMs = 10_000): NftRunner => (args, stdin) => run(nftPath, args, stdin, timeoutMs);

/** nft inside a network namespace: `ip netns exec <ns> nft ...` (tests). */
export const netnsNft = (namespace: string, timeoutMs = 10_000): NftRunner => {
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(namespace)) throw new Error(`bad namespace name ${JSON.stringify(namespace)}`);
  return (args, stdin) => run('ip', ['netns', 'exec', namespace, 'nft', ...args], stdin, timeoutMs);
};
