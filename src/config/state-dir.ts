/**
 * Where PanicMode keeps its state when the config does not say: `$PANICMODE_STATE_DIR`,
 * else `/var/lib/panicmode` as root, else `./.panicmode` (so a first `panicmode run` as
 * a normal user works without touching system directories). Paths are absolute.
 */
import { join, resolve } from 'node:path';

const isRoot = (): boolean => process.getuid?.() === 0;

/** The state directory, absolute. */
export const stateDir = (env: NodeJS.ProcessEnv = process.env): string =>
  resolve(env.PANICMODE_STATE_DIR && env.PANICMODE_STATE_DIR.length > 0 ? env.PANICMODE_STATE_DIR : isRoot() ? '/var/lib/panicmode' : '.panicmode');

/** Default storage paths under the state directory. */
export const defaultStoragePaths = (dir = stateDir()) => ({
  incident_db: join(dir, 'incidents.db'),
  state_file: join(dir, 'state.json'),
  snapshot_dir: join(dir, 'snapshots'),
  log_dir: join(dir, 'logs'),
});

/** Default ctl socket: `/run/panicmode/ctl.sock` as root, else `<statedir>/ctl.sock`. */
export const defaultCtlSocket = (dir = stateDir()): string => (isRoot() ? '/run/panicmode/ctl.sock' : join(dir, 'ctl.sock'));
