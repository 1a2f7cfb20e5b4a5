/**
 * Secret references in config strings, resolved at load time:
 *   `${env:NAME}`              the environment variable NAME
 *   `${file:/run/secrets/x}`   the file's content, trimmed
 *   `${vault:PATH#KEY}`        HashiCorp Vault KV v2: GET $VAULT_ADDR/v1/PATH with
 *                              X-Vault-Token: $VAULT_TOKEN, value at .data.data[KEY]
 * Values are cached for $PANICMODE_SECRET_TTL (a duration, default 5m) and re-read after
 * it or after clearSecretCache() (SIGHUP). Every resolved value is registered with the
 * logger's redact(), so it never reaches a log line in clear.
 */
import { readFile } from 'node:fs/promises';
import { redact } from '../log/logger.js';
import { parseDuration } from './duration.js';
import { joinPath } from './error-paths.js';
import { isPlainObject } from './struct.js';

const refPattern = /\$\{(env|file|vault):([^}]*)\}/g;
/**
 * Anything shaped like a reference (`${aws:x}`): a lower-case scheme, a colon, then not
 * what follows the colon in shell expansions (`${VAR:-default}`, `${var:2}`), which
 * commands and arguments may carry. An unknown scheme is an error, not a literal value.
 */
const anyRefPattern = /\$\{([a-z][a-z0-9]*):(?![-=+?\d\s])[^}]*\}/g;
const schemes = ['env', 'file', 'vault'];

/** What check mode puts in place of each reference: its value is not known. */
export const SECRET_PLACEHOLDER = '***';

interface CacheEntry {
  value: Promise<unknown>;
  expires: number;
}
const cache = new Map<string, CacheEntry>();
const resolvedValues = new Set<string>();

/** Forgets every cached secret: the next load reads them again (SIGHUP calls this). */
export const clearSecretCache = (): void => cache.clear();

/** Values that came from a secret reference since the process started (for redaction). */
export const resolvedSecretValues = (): ReadonlySet<string> => resolvedValues;

/** How long a resolved secret is trusted before it is read again ($PANICMODE_SECRET_TTL, default 5m). */
export const secretTtlMs = (): number => {
  const raw = process.env.PANICMODE_SECRET_TTL;
  if (!raw) return 5 * 60_000;
  try {
    return parseDuration(raw);
  } catch {
    return 5 * 60_000;
  }
};

/** Why a reference could not be resolved; the loader prefixes the config path. */
class SecretProblem extends Error {}

const cached = (key: string, load: () => Promise<unknown>): Promise<unknown> => {
  const now = Date.now();
  const hit = cache.get(key);
  if (hit && hit.expires > now) return hit.value;
  const value = load();
  cache.set(key, { value, expires: now + secretTtlMs() });
  // A failure is not cached: the next load tries again.
  value.catch(() => {
    if (cache.get(key)?.value === value) cache.delete(key);
  });
  return value;
};

const readVault = async (path: string): Promise<unknown> => {
  const addr = process.env.VAULT_ADDR;
  const token = process.env.VAULT_TOKEN;
  if (!addr) throw new SecretProblem('VAULT_ADDR is not set');
  if (!token) throw new SecretProblem('VAULT_TOKEN is not set');
  const url = `${addr.replace(/\/+$/, '')}/v1/${path.replace(/^\/+/, '')}`;
  const headers: Record<string, string> = { 'X-Vault-Token': token };
  if (process.env.VAULT_NAMESPACE) headers['X-Vault-Namespace'] = process.env.VAULT_NAMESPACE;
  try {
    // got is loaded only when a config really reads Vault (it is heavy at start-up).
    const { default: got } = await import('got');
    const body = await got(url, { headers, timeout: { request: 5000 }, retry: { limit: 1 } }).json<{ data?: { data?: unknown } }>();
    return body?.data?.data;
  } catch (err) {
    const status = (err as { response?: { statusCode?: number } }).response?.statusCode;
    throw new SecretProblem(status ? `vault answered HTTP ${status} for ${path}` : `vault request failed: ${(err as Error).message}`);
  }
};

const resolveRef = async (kind: string, arg: string, ref: string): Promise<string> => {
  switch (kind) {
    case 'env': {
      const v = process.env[arg];
      if (v === undefined || v === '') throw new SecretProblem(`${ref} is not set`);
      return v;
    }
    case 'file': {
      try {
        return String(await cached(`file:${arg}`, () => readFile(arg, 'utf8'))).trim();
      } catch (err) {
        throw new SecretProblem(`${ref}: cannot read ${arg} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
      }
    }
    default: {
      const hash = arg.lastIndexOf('#');
      if (hash <= 0 || hash === arg.length - 1) throw new SecretProblem(`${ref}: expected \${vault:PATH#KEY}`);
      const path = arg.slice(0, hash);
      const key = arg.slice(hash + 1);
      let data: unknown;
      try {
        data = await cached(`vault:${path}`, () => readVault(path));
      } catch (err) {
        throw new SecretProblem(`${ref}: ${(err as Error).message}`);
      }
      const v = isPlainObject(data) ? data[key] : undefined;
      if (typeof v !== 'string' && typeof v !== 'number') throw new SecretProblem(`${ref}: vault has no key "${key}" at ${path}`);
      return String(v);
    }
  }
};

/** Does this string contain a secret reference? */
export const hasSecretRef = (s: string): boolean => new RegExp(refPattern.source).test(s);

const resolveString = async (s: string): Promise<string> => {
  const refs = [...s.matchAll(new RegExp(refPattern.source, 'g'))];
  let out = s;
  for (const m of refs) {
    const value = await resolveRef(m[1]!, m[2]!, m[0]);
    redact(value);
    resolvedValues.add(value);
    out = out.split(m[0]).join(value);
  }
  return out;
};

/**
 * `resolve`: read every reference (env, files, Vault). `check`: only check that each
 * reference is well formed and put "***" in its place, touching nothing outside
 * (check-config in CI, where the secrets do not exist).
 */
export type SecretMode = 'resolve' | 'check';

const checkString = (s: string): string => {
  let out = s;
  for (const m of s.matchAll(new RegExp(refPattern.source, 'g'))) {
    const [ref, kind, arg] = [m[0], m[1]!, m[2]!];
    if (arg.trim() === '') throw new SecretProblem(`${ref}: empty reference`);
    if (kind === 'env' && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(arg)) throw new SecretProblem(`${ref}: not an environment variable name`);
    if (kind === 'file' && !arg.startsWith('/')) throw new SecretProblem(`${ref}: expected an absolute path`);
    if (kind === 'vault') {
      const hash = arg.lastIndexOf('#');
      if (hash <= 0 || hash === arg.length - 1) throw new SecretProblem(`${ref}: expected \${vault:PATH#KEY}`);
    }
    out = out.split(ref).join(SECRET_PLACEHOLDER);
  }
  return out;
};

export interface ResolvedSecrets {
  /** the tree with every reference replaced */
  value: unknown;
  /** config paths whose value came from a reference (`integrations.telegram.bot_token`) */
  secretPaths: string[];
  /** one line per reference that could not be resolved, naming its config path */
  problems: string[];
}

/**
 * Resolves every `${env:}`/`${file:}`/`${vault:}` in a raw (parsed YAML) tree. Never
 * throws for a bad reference: all of them are reported at once in `problems`.
 */
export const resolveSecrets = async (raw: unknown, mode: SecretMode = 'resolve'): Promise<ResolvedSecrets> => {
  const secretPaths: string[] = [];
  const problems: string[] = [];
  const walk = async (v: unknown, path: string): Promise<unknown> => {
    if (typeof v === 'string') {
      const unknown = [...v.matchAll(anyRefPattern)].find((m) => !schemes.includes(m[1]!));
      if (unknown) {
        problems.push(`${path}: ${unknown[0]}: unknown secret scheme "${unknown[1]}" (expected \${env:NAME}, \${file:/path} or \${vault:PATH#KEY})`);
        // The reference is the problem: the value it stands for is not judged again.
        return SECRET_PLACEHOLDER;
      }
      if (!hasSecretRef(v)) return v;
      try {
        const resolved = mode === 'resolve' ? await resolveString(v) : checkString(v);
        secretPaths.push(path);
        return resolved;
      } catch (err) {
        if (!(err instanceof SecretProblem)) throw err;
        problems.push(`${path}: ${err.message}`);
        return SECRET_PLACEHOLDER;
      }
    }
    if (Array.isArray(v)) return Promise.all(v.map((x, i) => walk(x, joinPath(path, i))));
    if (isPlainObject(v)) {
      const entries = await Promise.all(Object.entries(v).map(async ([k, x]) => [k, await walk(x, joinPath(path, k))] as const));
      return Object.fromEntries(entries);
    }
    return v;
  };
  const value = await walk(raw, '');
  return { value, secretPaths, problems };
};
