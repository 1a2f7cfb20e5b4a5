/**
 * Reading a config file (the main config or the mass-freeze policy), bounded: a config
 * is a few kilobytes, and a 50 MB one took 1.86 GB of memory to check. At most
 * MAX_CONFIG_BYTES are read (a pipe or /dev/zero has no size to ask first), and a larger
 * file is a ConfigError naming it, like an unreadable one.
 */
import { open } from 'node:fs/promises';
import { ConfigError } from '../errors.js';

/** The largest config file accepted: 1 MiB, hundreds of times a full real config. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/** The file's text; throws ConfigError when it is missing, unreadable or too large. */
export const readConfigFile = async (path: string): Promise<string> => {
  try {
    const file = await open(path, 'r');
    try {
      const buffer = Buffer.alloc(MAX_CONFIG_BYTES + 1);
      let length = 0;
      for (;;) {
        const { bytesRead } = await file.read(buffer, length, buffer.length - length, null);
        if (bytesRead === 0) break;
        length += bytesRead;
        if (length > MAX_CONFIG_BYTES) {
          const { size } = await file.stat();
          const seen = size > length ? ` (${size} bytes)` : '';
          throw new ConfigError([`the file is larger than 1 MiB${seen}; a config is a few kilobytes: is this the right file?`], { source: path });
        }
      }
      return buffer.toString('utf8', 0, length);
    } finally {
      await file.close();
    }
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError([code === 'ENOENT' ? 'no such file' : `cannot read it (${code ?? (err as Error).message})`], { source: path, cause: err });
  }
};
