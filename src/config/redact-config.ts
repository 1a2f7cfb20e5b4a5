/**
 * A printable copy of a config: secret-bearing fields and every value that came from a
 * `${env:}`/`${file:}`/`${vault:}` reference become "***". Used by `config show`, the
 * API and logs.
 */
import type { Config } from './schema.js';
import { resolvedSecretValues } from './secrets.js';
import { joinPath } from './error-paths.js';
import { isPlainObject } from './struct.js';

/** Keys whose value is a credential wherever they appear. */
export const secretKeys: ReadonlySet<string> = new Set([
  'bot_token', 'smtp_password', 'auth_token', 'token', 'hmac_secret', 'webhook_url', 'password', 'secret',
]);

const secretPathsOf = new WeakMap<object, ReadonlySet<string>>();

/** Remembers which config paths were resolved from secret references (set by the loader). */
export const markSecretPaths = (config: Config, paths: readonly string[]): void => {
  secretPathsOf.set(config, new Set(paths));
};

/** Deep copy of `config` with secrets replaced by "***" (absent values stay absent). */
export const redactConfig = (config: Config): Config => {
  const paths = secretPathsOf.get(config) ?? new Set<string>();
  const values = resolvedSecretValues();
  const containsSecret = (s: string): boolean => {
    for (const v of values) if (v.length > 0 && s.includes(v)) return true;
    return false;
  };
  const walk = (v: unknown, path: string, key: string): unknown => {
    if (v === undefined || v === null) return v;
    if (typeof v === 'string') return secretKeys.has(key) || /^authorization$/i.test(key) || paths.has(path) || containsSecret(v) ? '***' : v;
    if (Array.isArray(v)) return v.map((x, i) => walk(x, joinPath(path, i), key));
    if (isPlainObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, joinPath(path, k), k)]));
    return v;
  };
  return walk(config, '', '') as Config;
};
