/**
 * A uid's user name, from the passwd file (the sidecar mounts the host's): what
 * PANIC_USER and cluster `users:` selectors say. Read once per call site's lifetime.
 */
import { readFileSync } from 'node:fs';

/** Pure: uid → name from passwd text. */
export const parsePasswd = (text: string): Map<number, string> => {
  const out = new Map<number, string>();
  for (const line of text.split('\n')) {
    const f = line.split(':');
    const uid = Number(f[2]);
    if (f.length >= 3 && f[0] && Number.isInteger(uid) && !out.has(uid)) out.set(uid, f[0]);
  }
  return out;
};

/** A resolver over `path` (default /etc/passwd); unknown or unreadable: the uid as text. */
export const userNames = (path = '/etc/passwd'): ((uid: number) => string) => {
  let names: Map<number, string> | null = null;
  return (uid) => {
    if (names === null) {
      try {
        names = parsePasswd(readFileSync(path, 'utf8'));
      } catch {
        names = new Map();
      }
    }
    return uid < 0 ? 'unknown' : (names.get(uid) ?? String(uid));
  };
};
