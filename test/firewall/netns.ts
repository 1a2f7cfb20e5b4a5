/**
 * Network namespaces for firewall tests: every rule a test writes lives in a namespace
 * it created and deletes, never in the host's firewall.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { netnsNft, type NftRunner } from '../../src/firewall/nft-runner.js';

/** Why namespaces cannot be used here, or null when they can. */
export const netnsUnavailable = (): string | null => {
  if (process.getuid?.() !== 0) return 'needs root to create a network namespace';
  for (const tool of ['ip', 'nft']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      return `${tool} is not installed`;
    }
  }
  return null;
};

export interface TestNetns {
  name: string;
  nft: NftRunner;
  /** Runs a program inside the namespace; returns stdout. */
  exec(file: string, args: string[], env?: NodeJS.ProcessEnv): string;
  remove(): void;
}

export const createNetns = (): TestNetns => {
  const name = `pmtest-${randomBytes(4).toString('hex')}`;
  execFileSync('ip', ['netns', 'add', name]);
  return {
    name,
    nft: netnsNft(name),
    exec: (file, args, env) => execFileSync('ip', ['netns', 'exec', name, file, ...args], { encoding: 'utf8', env: env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] }),
    remove: () => {
      try {
        execFileSync('ip', ['netns', 'del', name]);
      } catch {
        /* already gone */
      }
    },
  };
};
