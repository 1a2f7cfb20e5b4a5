/** Real executable block/unblock scripts that append their arguments to a file. */
import { mkdtempSync, writeFileSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RecordingScripts {
  dir: string;
  block: string;
  unblock: string;
  /** lines written so far: `block <arg>` / `unblock <arg>` (one per run, with the argument count) */
  calls(): string[];
  /** makes the block script fail (exit 3) from now on */
  breakBlock(): void;
  /** makes the unblock script fail (exit 3) from now on, or work again */
  breakUnblock(broken?: boolean): void;
  remove(): void;
}

export const recordingScripts = (): RecordingScripts => {
  const dir = mkdtempSync(join(tmpdir(), 'pm-fw-'));
  const log = join(dir, 'calls.log');
  const write = (name: string, verb: string, failFlag: string) => {
    const path = join(dir, name);
    writeFileSync(
      path,
      `#!/bin/sh\n[ -e "${failFlag}" ] && { echo "broken on purpose" >&2; exit 3; }\nprintf '%s %s %s\\n' "${verb}" "$#" "$1" >> "${log}"\n`,
      { mode: 0o755 },
    );
    return path;
  };
  const flag = join(dir, 'fail');
  return {
    dir,
    block: write('block.sh', 'block', flag),
    unblock: write('unblock.sh', 'unblock', join(dir, 'fail-unblock')),
    calls: () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').filter(Boolean) : []),
    breakBlock: () => writeFileSync(flag, ''),
    breakUnblock: (broken = true) => (broken ? writeFileSync(join(dir, 'fail-unblock'), '') : rmSync(join(dir, 'fail-unblock'), { force: true })),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
};
