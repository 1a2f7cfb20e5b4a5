/**
 * Where PanicMode keeps its state when the config does not say: `$PANICMODE_STATE_DIR`,
 * else `/var/lib/panicmode` as root, else `./.panicmode` (so a first `panicmode run` as
 * a normal user works without touching system directories). Paths are absolute.
 */
import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const isRoot = (): boolean => process.getuid?.() === 0;

/** The state directory, absolute. */
export const stateDir = (env: NodeJS.ProcessEnv = process.env): string =>
  resolve(env.PANICMODE_STATE_DIR && env.PANICMODE_STATE_DIR.length > 0 ? env.PANICMODE_STATE_DIR : isRoot() ? '/var/lib/panicmode' : '.panicmode');

/** Default storage paths under the state directory. */
export const defaultStoragePaths = (dir = stateDir()) => ({
  incident_db: join(dir, 'incidents.db'),
  snapshot_dir: join(dir, 'snapshots'),
});

/** Default ctl socket: `/run/panicmode/ctl.sock` as root, else `<statedir>/ctl.sock`. */
export const defaultCtlSocket = (dir = stateDir()): string => (isRoot() ? '/run/panicmode/ctl.sock' : join(dir, 'ctl.sock'));

/**
 * Creates `dir` and its missing parents private to the agent's user (0700): the state
 * holds usernames attackers tried, sometimes passwords typed into the user field. The
 * state directory itself, found looser (made 0755 by an older version), is tightened;
 * any other existing directory is left as it is (a database configured under /tmp must
 * not chmod /tmp), its files being 0600 anyway.
 */
export const ensurePrivateDir = (dir: string, env: NodeJS.ProcessEnv = process.env): void => {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (resolve(dir) !== stateDir(env)) return;
  const st = statSync(dir);
  if ((st.mode & 0o077) !== 0 && st.uid === process.getuid?.()) chmodSync(dir, 0o700);
};
